"""技能扶贫 enrollment portal: the application factory."""
import os
import secrets
from importlib import import_module
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import Config

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def create_app(config: dict | None = None) -> Flask:
    # PORTAL_INSTANCE_PATH (absolute) moves instance/, where the SQLite file and secret key live.
    app = Flask(__name__, instance_relative_config=True, static_folder=str(STATIC_DIR),
                instance_path=os.environ.get("PORTAL_INSTANCE_PATH") or None)
    app.config.from_object(Config)
    app.config.from_prefixed_env("PORTAL")
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _ensure_secret_key(app)
    if proxies := app.config["PROXY_COUNT"]:
        # Behind the reverse proxy, the client's address (for login throttling) and scheme come
        # from the headers it sets; trusting exactly that many hops keeps them unforgeable.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from portal import cli
    from portal.audit import bp as audit_bp
    from portal.auth import bp as auth_bp
    from portal.common import errors, i18n, idnumbers, jobs, security
    from portal.common.regions import region_label
    from portal.common.views import bp as common_bp
    from portal.courses import bp as courses_bp
    from portal.enrollment import bp as enrollment_bp
    from portal.extensions import babel, csrf, db, limiter, login_manager, migrate
    from portal.families import bp as families_bp
    from portal.institutions import bp as institutions_bp
    from portal.notifications import bp as notifications_bp
    from portal.registry import bp as registry_bp

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)

    # Routes are added to each package's blueprint by its views modules, imported here rather than
    # by the package, so one package's models and services can import another's without its views.
    for views in ("auth.views", "courses.views", "institutions.views", "registry.views", "families.views",
                  "enrollment.views", "enrollment.notices", "notifications.views", "audit.views"):
        import_module(f"portal.{views}")
    for bp in (common_bp, auth_bp, courses_bp, institutions_bp, registry_bp, families_bp, enrollment_bp,
               notifications_bp, audit_bp):
        app.register_blueprint(bp)
    idnumbers.init_app(app)
    jobs.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    app.add_template_filter(region_label, "region")
    return app


def _ensure_secret_key(app: Flask) -> None:
    """Use the configured key, else one kept in instance/secret_key, made on first start."""
    if app.config.get("SECRET_KEY"):
        return
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    app.config["SECRET_KEY"] = path.read_text().strip()
