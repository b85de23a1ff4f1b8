"""Localized error pages."""
from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: lambda: (_("请求有误"), _("提交的内容无法处理，请返回重试。")),
    403: lambda: (_("没有权限"), _("您的账号无权打开这个页面。")),
    404: lambda: (_("页面不存在"), _("找不到您要的页面，可能已被删除或地址有误。")),
    405: lambda: (_("不能这样打开"), _("这个地址要用页面上的按钮提交，不能直接打开。请返回上一页再试。")),
    429: lambda: (_("尝试次数过多"), _("操作太频繁，请稍等几分钟再试。")),
    500: lambda: (_("系统出错"), _("系统暂时出了问题，请稍后再试。我们已记录此错误。")),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES[code]()
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def _handler(code: int):
    def handle(error):
        # Headers the error carries (Allow for 405, Retry-After for 429) go out with the page.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"] \
            if isinstance(error, HTTPException) else []
        return *render_error(code), headers
    return handle


def init_app(app: Flask) -> None:
    for code in MESSAGES:
        app.register_error_handler(code, _handler(code))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_error(400, _("页面已过期或来源不明，请刷新页面后重新提交。"))
