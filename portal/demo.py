"""Demo data: the regions, institutions, courses, accounts for every role and a small poverty registry
that a first look at the portal needs.

Everything except the first admin goes through the domain services, so the demo obeys the same
validation and leaves the same audit trail as data entered through the portal. The loader
flushes and the caller commits, except that the registry import (which runs on a connection of
its own) commits what came before it.
"""
import csv
import io
import random
from collections import Counter
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import select
from stdnum.cn import ric, uscc

from portal.audit.services import record
from portal.auth.models import Role, User
from portal.auth.services import AccountError, create_user, hash_password, normalize_login, password_problem
from portal.common.pdf import render_pdf
from portal.common.regions import load_regions
from portal.courses.models import Course, CourseKind, CourseLevel, CourseMode, CourseStatus
from portal.courses.services import change_status, create_course
from portal.db import db
from portal.enrollment.services import submit_application
from portal.families.models import DocumentKind, Relation
from portal.families.services import add_document, create_student
from portal.institutions.models import Institution, InstitutionKind
from portal.institutions.services import create_institution
from portal.registry.models import ImportStatus, RegistryImport
from portal.registry.services import create_import, run_import

PROVINCES = ("46", "44")  # 海南, 广东
DEMO_PASSWORD = "Demo2026!"


class DemoAccount(NamedTuple):
    role: Role
    login: str
    password: str
    name: str
    note: str


DEMO_ACCOUNTS = [
    DemoAccount(Role.admin, "admin@demo.cn", DEMO_PASSWORD, "系统管理员",
                "人社厅管理员：机构、账号、政策、报表、审计日志"),
    DemoAccount(Role.applicant, "13800000001", DEMO_PASSWORD, "王桂英", "替孙辈报名的奶奶"),
    DemoAccount(Role.staff, "13800000002", DEMO_PASSWORD, "李老师", "海南省技师学院 招生老师"),
    DemoAccount(Role.staff, "13800000003", DEMO_PASSWORD, "陈老师", "三亚技师学院 招生老师"),
    DemoAccount(Role.finance, "13800000004", DEMO_PASSWORD, "符会计", "海南省（460000）财务人员"),
    DemoAccount(Role.applicant, "13800000005", DEMO_PASSWORD, "林晓燕", "不在名单中、上传了贫困证明的学生"),
]
STAFF_INSTITUTIONS = {"13800000002": "海南省技师学院", "13800000003": "三亚技师学院"}
FINANCE_REGIONS = {"13800000004": "460000"}


class School(NamedTuple):
    name: str
    kind: InstitutionKind
    # First two USCC characters: 12 = 事业单位 registered by 机构编制, 52 = 民办非企业单位 by 民政.
    registrar: str
    region_code: str
    address: str
    phone: str
    description: str


class Offer(NamedTuple):
    title: str
    trade: str
    level: CourseLevel
    kind: CourseKind
    mode: CourseMode
    site: str | None = None  # the rural county a 送教下乡 course is taught in
    days: int | None = None  # length; poverty classes take theirs from the level, free training is drawn
    fee_fen: int = 0
    state: str = "open"  # a key of STATUS_PATH


_COLLEGE = InstitutionKind.technical_college
_CENTRE = InstitutionKind.training_centre
_FREE, _POVERTY, _REGULAR = CourseKind.free_training, CourseKind.poverty_class, CourseKind.regular
_SITE, _VILLAGE, _REMOTE = CourseMode.on_site, CourseMode.village, CourseMode.remote
_NONE, _L5, _L4, _L3, _L2 = (CourseLevel.none, CourseLevel.junior, CourseLevel.intermediate, CourseLevel.senior,
                             CourseLevel.technician)

SCHOOLS = [
    School("海南省技师学院", _COLLEGE, "12", "460106", "海口市龙华区椰海大道368号", "0898-66528301",
           "海南省人社厅直属的高级技工院校，设机电、汽修、烹饪、电商等专业，常年开办扶贫班。"),
    School("三亚技师学院", _COLLEGE, "12", "460203", "三亚市吉阳区迎宾路189号", "0898-88362715",
           "面向三亚旅游业培养酒店、烹饪、美容美发等技能人才，开设旅游服务扶贫班。"),
    School("海南省农垦技工学校", _COLLEGE, "12", "460400", "儋州市那大镇中兴大街52号", "0898-23316042",
           "服务农垦和热带农业，开设农机、热带作物和割胶技术培训。"),
    School("海南省第二技师学院", _COLLEGE, "12", "469007", "东方市八所镇解放西路126号", "0898-25528617",
           "琼西地区的技工院校，开设电工、焊工和建筑类专业，就近招收西部市县学生。"),
    School("琼中县就业培训中心", _CENTRE, "12", "469030", "琼中县营根镇海榆中线琼中段88号", "0898-86222163",
           "县人社局下属培训机构，组织农民工和脱贫劳动力的免费技能培训。"),
    School("白沙县职业技能培训中心", _CENTRE, "12", "469025", "白沙县牙叉镇白沙中路39号", "0898-27721508",
           "承担白沙县农村劳动力转移就业培训和黎锦技艺传承培训。"),
    School("保亭县农民职业技能培训学校", _CENTRE, "52", "469029", "保亭县保城镇新兴路21号", "0898-83663390",
           "民办非企业培训学校，送教下乡开展热带水果种植和家政类培训。"),
    School("广东省技师学院", _COLLEGE, "12", "441302", "惠州市惠城区三环南路76号", "0752-2808326",
           "广东省人社厅直属技师学院，开设智能制造、汽车、烹饪等专业和扶贫班。"),
    School("广州市工贸技师学院", _COLLEGE, "12", "440111", "广州市白云区石井街石沙路1230号", "020-86412507",
           "广州市属技师学院，承担“南粤家政”培训和对口帮扶地区的扶贫班招生。"),
    School("清远市技师学院", _COLLEGE, "12", "441802", "清远市清城区东城街站前路8号", "0763-3368125",
           "粤北技工院校，开设电工、烹饪、建筑类专业，常年送教到阳山、连南等县。"),
    School("河源技师学院", _COLLEGE, "12", "441602", "河源市源城区新江二路120号", "0762-3326718",
           "开设电子、机电和客家菜烹饪专业，为东源、和平等县培训农村劳动力。"),
    School("梅州市技师学院", _COLLEGE, "12", "441402", "梅州市梅江区华南大道88号", "0753-2291356",
           "粤东北技工院校，开设汽修、烹饪和茶叶加工专业。"),
    School("湛江市技师学院", _COLLEGE, "12", "440811", "湛江市麻章区瑞云北路46号", "0759-3386027",
           "粤西技工院校，开设焊接、电工和海鲜烹饪专业，送教到徐闻等县。"),
    School("韶关市乳源县职业技能培训学校", _CENTRE, "52", "440232", "乳源县乳城镇鹰峰东路15号", "0751-5362148",
           "乳源瑶族自治县的民办培训学校，开展瑶绣传承、家政和瑶家菜烹饪培训。"),
    School("阳山县职业技能培训中心", _CENTRE, "12", "441823", "阳山县阳城镇南兴路33号", "0763-7712460",
           "县人社局下属培训机构，组织淮山种植、养老护理等免费培训。"),
]

OFFERS = {
    "海南省技师学院": [
        Offer("电工（初级）扶贫班", "电工", _L5, _POVERTY, _SITE),
        Offer("汽车维修中级工 扶贫班", "汽车维修工", _L4, _POVERTY, _SITE),
        Offer("中式烹调师（中级）扶贫班", "中式烹调师", _L4, _POVERTY, _SITE),
        Offer("制冷空调系统安装维修工（中级）扶贫班", "制冷空调系统安装维修工", _L4, _POVERTY, _SITE, state="draft"),
        Offer("焊工（中级）", "焊工", _L4, _REGULAR, _SITE, days=45, fee_fen=280000),
        Offer("电子商务（中级工）一年制", "电子商务师", _L4, _REGULAR, _SITE, days=365, fee_fen=280000),
        Offer("电工技师（二级）研修班", "电工", _L2, _REGULAR, _SITE, days=90, fee_fen=320000),
        Offer("热带果树栽培技术（送教进村）", "农艺工", _NONE, _FREE, _VILLAGE, site="469030"),
        Offer("电工（初级）送教下乡培训班", "电工", _L5, _FREE, _VILLAGE, site="469025"),
        Offer("农村电商直播带货远程培训", "互联网营销师", _NONE, _FREE, _REMOTE),
    ],
    "三亚技师学院": [
        Offer("酒店服务（三亚旅游服务）扶贫班", "客房服务员", _L4, _POVERTY, _SITE),
        Offer("西式面点师（中级）扶贫班", "西式面点师", _L4, _POVERTY, _SITE),
        Offer("汽车维修工（高级）扶贫班", "汽车维修工", _L3, _POVERTY, _SITE),
        Offer("中式烹调师 送教下乡培训班", "中式烹调师", _L5, _FREE, _VILLAGE, site="469029"),
        Offer("茶艺师（五级）免费培训", "茶艺师", _L5, _FREE, _SITE),
        Offer("育婴员（五级）免费培训", "育婴员", _L5, _FREE, _SITE),
        Offer("前厅服务员（英语接待）免费培训", "前厅服务员", _L5, _FREE, _SITE, days=30, state="running"),
        Offer("餐厅服务员远程培训", "餐厅服务员", _L5, _FREE, _REMOTE),
        Offer("美容美发（初级）", "美发师", _L5, _REGULAR, _SITE, days=60, fee_fen=180000),
    ],
    "海南省农垦技工学校": [
        Offer("农业技术（热带作物生产）扶贫班", "农艺工", _L4, _POVERTY, _SITE),
        Offer("农机修理工（中级）扶贫班", "农机修理工", _L4, _POVERTY, _SITE),
        Offer("橡胶割胶工（初级）送教下乡", "橡胶割胶工", _L5, _FREE, _VILLAGE, site="469025"),
        Offer("家畜饲养员（生猪养殖）送教进村", "家畜饲养员", _L5, _FREE, _VILLAGE, site="469030"),
        Offer("叉车司机免费培训", "叉车司机", _L5, _FREE, _SITE),
        Offer("农业经理人（四级）线上班", "农业经理人", _L4, _FREE, _REMOTE),
        Offer("挖掘机驾驶员", "挖掘机驾驶员", _L5, _REGULAR, _SITE, days=30, fee_fen=380000),
    ],
    "海南省第二技师学院": [
        Offer("电工（中级）扶贫班", "电工", _L4, _POVERTY, _SITE),
        Offer("焊工（初级）扶贫班", "焊工", _L5, _POVERTY, _SITE),
        Offer("建筑瓦工（砌筑工初级）免费培训", "砌筑工", _L5, _FREE, _SITE),
        Offer("钢筋工（初级）免费培训", "钢筋工", _L5, _FREE, _SITE),
        Offer("水产养殖员（对虾养殖）送教下乡", "水产养殖员", _L5, _FREE, _VILLAGE, site="469007"),
        Offer("中式面点师（五级）免费培训", "中式面点师", _L5, _FREE, _SITE),
    ],
    "琼中县就业培训中心": [
        Offer("中蜂养殖技术（送教进村）", "养蜂员", _NONE, _FREE, _VILLAGE, site="469030"),
        Offer("琼中绿橙种植与管护（送教进村）", "农艺工", _NONE, _FREE, _VILLAGE, site="469030"),
        Offer("家政服务员培训", "家政服务员", _L5, _FREE, _SITE, days=20, state="closed"),
        Offer("养老护理员（五级）", "养老护理员", _L5, _FREE, _SITE),
        Offer("互联网营销师（五级）直播带货远程班", "互联网营销师", _L5, _FREE, _REMOTE),
    ],
    "白沙县职业技能培训中心": [
        Offer("海南黎锦技艺传承培训", "织锦工", _NONE, _FREE, _VILLAGE, site="469025"),
        Offer("茶艺师（白沙绿茶）免费培训", "茶艺师", _L5, _FREE, _SITE),
        Offer("家政服务员（五级）送教下乡", "家政服务员", _L5, _FREE, _VILLAGE, site="469025"),
        Offer("电焊工短期技能培训", "焊工", _L5, _FREE, _SITE),
        Offer("电子商务师（农产品网销）远程培训", "电子商务师", _L5, _FREE, _REMOTE),
    ],
    "保亭县农民职业技能培训学校": [
        Offer("红毛丹栽培技术（送教进村）", "农艺工", _NONE, _FREE, _VILLAGE, site="469029"),
        Offer("育婴员（五级）送教下乡", "育婴员", _L5, _FREE, _VILLAGE, site="469029"),
        Offer("中式面点师（初级）", "中式面点师", _L5, _FREE, _SITE),
        Offer("民宿管家培训", "民宿管家", _NONE, _FREE, _SITE),
    ],
    "广东省技师学院": [
        Offer("电工（中级）扶贫班", "电工", _L4, _POVERTY, _SITE),
        Offer("数控车工（中级）扶贫班", "车工", _L4, _POVERTY, _SITE),
        Offer("工业机器人应用（高级工）扶贫班", "工业机器人系统操作员", _L3, _POVERTY, _SITE),
        Offer("焊工（高级）", "焊工", _L3, _REGULAR, _SITE, days=60, fee_fen=350000),
        Offer("汽车维修工（中级）一年制", "汽车维修工", _L4, _REGULAR, _SITE, days=365, fee_fen=280000),
        Offer("粤菜师傅（中式烹调师初级）免费培训", "中式烹调师", _L5, _FREE, _SITE),
        Offer("电子商务师（四级）远程培训", "电子商务师", _L4, _FREE, _REMOTE),
    ],
    "广州市工贸技师学院": [
        Offer("计算机网络应用 扶贫班", "计算机网络管理员", _L4, _POVERTY, _SITE),
        Offer("新能源汽车维修（中级工）扶贫班", "汽车维修工", _L4, _POVERTY, _SITE),
        Offer("南粤家政·育婴员（五级）免费培训", "育婴员", _L5, _FREE, _SITE),
        Offer("南粤家政·养老护理员（四级）", "养老护理员", _L4, _FREE, _SITE),
        Offer("互联网营销师（直播销售员）远程班", "互联网营销师", _L5, _FREE, _REMOTE),
        Offer("美容师（五级）", "美容师", _L5, _REGULAR, _SITE, days=45, fee_fen=220000, state="running"),
    ],
    "清远市技师学院": [
        Offer("电工（初级）扶贫班", "电工", _L5, _POVERTY, _SITE),
        Offer("粤菜师傅·清远鸡烹饪 送教下乡", "中式烹调师", _L5, _FREE, _VILLAGE, site="441823"),
        Offer("茶艺师 送教下乡培训班", "茶艺师", _L5, _FREE, _VILLAGE, site="441823"),
        Offer("挖掘机驾驶员免费培训", "挖掘机驾驶员", _L5, _FREE, _SITE),
        Offer("建筑瓦工（砌筑工）免费培训", "砌筑工", _L5, _FREE, _SITE),
        Offer("南粤家政·养老护理员（五级）", "养老护理员", _L5, _FREE, _SITE),
    ],
    "河源技师学院": [
        Offer("电子设备装接工（中级）扶贫班", "电子设备装接工", _L4, _POVERTY, _SITE),
        Offer("客家菜师傅（中式烹调师初级）免费培训", "中式烹调师", _L5, _FREE, _SITE),
        Offer("家政服务员培训（东源送教）", "家政服务员", _L5, _FREE, _VILLAGE, site="441625"),
        Offer("叉车司机", "叉车司机", _L5, _REGULAR, _SITE, days=20, fee_fen=150000),
        Offer("中式面点师（客家糕点）", "中式面点师", _L5, _FREE, _SITE, state="draft"),
    ],
    "梅州市技师学院": [
        Offer("中式烹调师（中级）扶贫班", "中式烹调师", _L4, _POVERTY, _SITE),
        Offer("汽车维修工（初级）扶贫班", "汽车维修工", _L5, _POVERTY, _SITE),
        Offer("茶叶加工工（初级）送教下乡", "茶叶加工工", _L5, _FREE, _VILLAGE, site="441422"),
        Offer("南粤家政·家政服务员（五级）", "家政服务员", _L5, _FREE, _SITE),
        Offer("电工（初级）远程理论班", "电工", _L5, _FREE, _REMOTE),
    ],
    "湛江市技师学院": [
        Offer("焊工（初级）扶贫班", "焊工", _L5, _POVERTY, _SITE),
        Offer("菠萝种植与电商销售（送教进村）", "农艺工", _NONE, _FREE, _VILLAGE, site="440825"),
        Offer("粤菜师傅（湛江海鲜烹饪）", "中式烹调师", _L5, _FREE, _SITE),
        Offer("养老护理员远程理论培训", "养老护理员", _L5, _FREE, _REMOTE),
        Offer("电工（中级）", "电工", _L4, _REGULAR, _SITE, days=40, fee_fen=250000, state="closed"),
    ],
    "韶关市乳源县职业技能培训学校": [
        Offer("瑶绣技艺传承培训", "刺绣工", _NONE, _FREE, _VILLAGE, site="440232"),
        Offer("粤菜师傅·瑶家菜烹饪 送教下乡", "中式烹调师", _L5, _FREE, _VILLAGE, site="440232"),
        Offer("南粤家政·家政服务员免费培训", "家政服务员", _L5, _FREE, _SITE),
        Offer("电子商务（农产品网店）远程培训", "电子商务师", _L5, _FREE, _REMOTE),
    ],
    "阳山县职业技能培训中心": [
        Offer("淮山种植技术（送教进村）", "农艺工", _NONE, _FREE, _VILLAGE, site="441823"),
        Offer("养老护理员（五级）", "养老护理员", _L5, _FREE, _SITE),
        Offer("电工（初级）免费培训", "电工", _L5, _FREE, _SITE),
        Offer("互联网营销师远程培训", "互联网营销师", _L5, _FREE, _REMOTE, state="draft"),
    ],
}

# Where 送教下乡 classes meet: village committee rooms and township halls of the county.
VILLAGE_SITES = {
    "469030": ("琼中县湾岭镇大墩村委会", "琼中县红毛镇什寒村文化室"),
    "469025": ("白沙县元门乡罗帅村委会", "白沙县细水乡农民夜校"),
    "469029": ("保亭县什玲镇什东村委会", "保亭县响水镇文化站"),
    "469007": ("东方市四更镇四更村委会", "东方市感城镇感城村委会"),
    "440232": ("乳源县必背镇文化站", "乳源县游溪镇村民活动中心"),
    "441823": ("阳山县黎埠镇村民活动中心", "阳山县七拱镇文化站"),
    "441625": ("东源县船塘镇文化站", "东源县义合镇村民服务中心"),
    "441422": ("大埔县西河镇文化站", "大埔县大麻镇村民活动中心"),
    "440825": ("徐闻县曲界镇文化站", "徐闻县下洋镇村民活动中心"),
}

TRADE_NOTES = {
    "电工": "学习低压电路安装、照明和动力线路维修、安全用电，实训以动手为主。",
    "汽车维修工": "学习汽车发动机、底盘和电气系统的检测与维修，在实训车间上手拆装。",
    "中式烹调师": "学习刀工、火候和地方名菜制作，结业可到酒店、食堂就业或自己开店。",
    "中式面点师": "学习包子、馒头、糕点等面点制作，适合在家门口开早餐店。",
    "西式面点师": "学习面包、蛋糕和西点制作，毕业可到酒店和烘焙店就业。",
    "制冷空调系统安装维修工": "学习家用和商用空调的安装、检修和制冷剂充注。",
    "焊工": "学习电焊、气保焊的操作和安全规范，焊工在工地和工厂都很缺人。",
    "电子商务师": "学习开网店、拍产品图、做客服和发货，把自家农产品卖到网上。",
    "互联网营销师": "学习用手机拍短视频、开直播，把本地农产品卖出去。",
    "农艺工": "学习选种、施肥、修剪和病虫害防治，课堂就在果园和田间。",
    "客房服务员": "学习客房清扫、前台接待和服务礼仪，对接三亚的酒店就业。",
    "前厅服务员": "学习酒店前台接待、入住退房办理和常用英语。",
    "餐厅服务员": "学习摆台、点菜、上菜和服务礼仪。",
    "茶艺师": "学习泡茶、茶叶品鉴和茶艺表演，可到茶馆、景区就业。",
    "育婴员": "学习婴幼儿喂养、护理、早期教育和常见病预防。",
    "美发师": "学习剪发、烫染和造型，实训在学校美发室进行。",
    "美容师": "学习皮肤护理、化妆和美容院服务规范。",
    "橡胶割胶工": "学习割胶刀法、胶树养护和胶乳收集，提高割胶产量。",
    "农机修理工": "学习拖拉机、收割机等农业机械的保养和维修。",
    "家畜饲养员": "学习生猪饲养、防疫消毒和猪舍管理，减少病死损失。",
    "叉车司机": "学习叉车驾驶和安全操作，结业可参加特种设备作业人员考试。",
    "农业经理人": "学习合作社经营、农产品销售和农业项目管理。",
    "挖掘机驾驶员": "学习挖掘机操作、日常保养和工地安全。",
    "砌筑工": "学习砌砖、抹灰和看图施工，适合在建筑工地务工的乡亲。",
    "钢筋工": "学习钢筋下料、绑扎和看懂施工图。",
    "水产养殖员": "学习对虾、罗非鱼的养殖技术和水质管理。",
    "养蜂员": "学习中蜂饲养、分蜂和取蜜，山区养蜂投入少、见效快。",
    "家政服务员": "学习家庭保洁、做饭、照护老人和小孩，结业可推荐到城市家庭就业。",
    "养老护理员": "学习老人生活照料、基础护理和安全防护，养老机构长期招人。",
    "织锦工": "跟着黎锦传承人学习纺、染、织、绣四大工艺，作品可由合作社收购。",
    "民宿管家": "学习民宿接待、客房整理和线上订房平台的使用。",
    "车工": "学习普通车床和数控车床的操作与编程，对接珠三角制造企业。",
    "工业机器人系统操作员": "学习工业机器人的操作、示教编程和日常维护。",
    "计算机网络管理员": "学习电脑组装、网络布线和常见故障排除。",
    "电子设备装接工": "学习电子元件识别、焊接和整机装配，对接河源电子企业就业。",
    "茶叶加工工": "学习茶叶采摘、杀青、揉捻和烘干等加工工艺。",
    "刺绣工": "跟着瑶绣传承人学习针法和图案，绣品可由合作社收购。",
}

# Poverty classes run as full-time programmes whose length follows the level they lead to.
PROGRAMME_YEARS = {_L5: 1, _L4: 2, _L3: 3}
HOURS_PER_YEAR = 1200

SCHEDULES = {
    _SITE: ("周一至周五 8:30–11:30、14:30–17:30", "周一至周六 9:00–12:00、14:30–17:30"),
    _VILLAGE: ("每周二、四、六 9:00–12:00（避开农忙）", "每周一至周五 19:30–21:30（农闲夜校）"),
    _REMOTE: ("每晚 20:00–21:30 手机直播，错过可回看", "每周一、三、五 20:00–21:30 直播，可回看"),
}
PROGRAMME_SCHEDULE = "周一至周五 8:30–11:30、14:30–17:30，寒暑假放假"
# When admitted students report: full-time programmes the day before classes, to move into the dormitory;
# short courses on the first day, before the first lesson. Remote courses name no time: students log in.
PROGRAMME_REPORT_TIME = "8:00–17:30"
REPORT_TIMES = {_SITE: "上午 8:00–8:30", _VILLAGE: "第一节课前半小时", _REMOTE: ""}

# The status moves each demo state makes through change_status; "running" is published with its window past.
STATUS_PATH = {
    "draft": (),
    "open": (CourseStatus.published,),
    "running": (CourseStatus.published,),
    "closed": (CourseStatus.published, CourseStatus.closed),
}

HOW_TO_APPLY = {
    _POVERTY: "在本平台点“我要报名”，填好学生资料后提交。不会在手机上操作的，可以带身份证、户口簿到学校招生办，"
        "老师帮您在网上报名。建档立卡家庭的学生走招生绿色通道，优先录取预留名额，免学费并享受国家助学金和生活补助。"
        "录取后请带身份证、户口簿到校报到。",
    _FREE: "在本平台点“我要报名”报名；也可以带身份证到村委会、镇劳动保障所，请工作人员帮您在网上登记。"
        "脱贫家庭劳动力走绿色通道优先安排。",
    _REGULAR: "在本平台点“我要报名”报名，有问题请打咨询电话。建档立卡家庭学生可走绿色通道，按政策减免学费。",
}


class Listed(NamedTuple):
    """A person on the demo registry: household, relation to its head, name, birth date, sex."""
    household: str
    relation: str
    name: str
    born: date
    female: bool


# The poverty office's list for a few Hainan villages. 王桂英 (the demo applicant) heads the first
# household; her grandson 黄明轩 is already on her account, her granddaughter 黄小雨 is left for a
# visitor to add (README). The 符 household is for the grandmother browser journey.
REGISTRY_VILLAGES = {
    "4690300010023": ("469030", "琼中黎族苗族自治县", "湾岭镇", "大墩村", "已脱贫"),
    "4690300010031": ("469030", "琼中黎族苗族自治县", "湾岭镇", "大墩村", "监测对象"),
    "4690250020007": ("469025", "白沙黎族自治县", "牙叉镇", "对俄村", "已脱贫"),
    "4690290030012": ("469029", "保亭黎族苗族自治县", "什玲镇", "八村", "未脱贫"),
    "4690010040005": ("469001", "五指山市", "毛阳镇", "毛贵村", "返贫"),
}
REGISTRY = [
    Listed("4690300010023", "户主", "王桂英", date(1958, 4, 2), True),
    Listed("4690300010023", "之孙子", "黄明轩", date(2008, 3, 12), False),
    Listed("4690300010023", "之孙女", "黄小雨", date(2010, 7, 21), True),
    Listed("4690300010031", "户主", "符玉兰", date(1961, 9, 30), True),
    Listed("4690300010031", "之孙子", "符志强", date(2009, 1, 8), False),
    Listed("4690250020007", "户主", "王文光", date(1975, 11, 3), False),
    Listed("4690250020007", "配偶", "吉亚妹", date(1978, 2, 14), True),
    Listed("4690250020007", "之子", "王海生", date(2007, 6, 1), False),
    Listed("4690290030012", "户主", "黄秀英", date(1980, 5, 20), True),
    Listed("4690290030012", "之女", "黄丽娜", date(2008, 10, 9), True),
    Listed("4690010040005", "户主", "陈国强", date(1972, 8, 16), False),
    Listed("4690010040005", "之子", "陈家宝", date(2009, 12, 25), False),
]
REGISTRY_HEADER = ["姓名", "身份证号", "户编号", "与户主关系", "行政区划代码", "县", "乡镇", "村", "识别年度",
                   "脱贫状态", "是否低保", "联系电话"]
DEMO_GRANDSON = "黄明轩"  # on 王桂英's account, applied to a 扶贫班 through the green channel


class Unlisted(NamedTuple):
    """A student the registry does not list, applying for herself with a 贫困证明 from her village."""
    name: str
    region: str
    born: date
    village: str
    school: str


UNLISTED = Unlisted("林晓燕", "469007", date(2008, 6, 18), "东方市大田镇报白村", "东方市第二中学")


def unlisted_id_number() -> str:
    """林晓燕's ID number: her county, birth date, an even serial (female), check digit."""
    body = f"{UNLISTED.region}{UNLISTED.born:%Y%m%d}062"
    return body + ric.calc_check_digit(body + "0")


def registry_id_number(person: Listed) -> str:
    """The person's ID number: county, birth date, a serial whose last digit gives the sex, check digit."""
    region = REGISTRY_VILLAGES[person.household][0]
    serial = 20 + 2 * REGISTRY.index(person) + (0 if person.female else 1)
    body = f"{region}{person.born:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def registry_csv() -> bytes:
    """The demo registry as the poverty office sends it: a GBK-encoded CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REGISTRY_HEADER)
    for person in REGISTRY:
        region, county, township, village, status = REGISTRY_VILLAGES[person.household]
        writer.writerow([person.name, registry_id_number(person), person.household, person.relation, region, county,
                         township, village, 2016, status, "否", ""])
    return out.getvalue().encode("gbk")


def load_demo(today: date) -> dict:
    """Fill an empty database with the demo; return how many of each thing it made."""
    if db.session.scalar(select(User.id).limit(1)) or db.session.scalar(select(Institution.id).limit(1)):
        raise ValueError("the demo loads only into a database without users or institutions")
    rng = random.Random(2026)
    regions = load_regions(PROVINCES)
    admin = _first_admin(DEMO_ACCOUNTS[0])
    institutions = {school.name: _create_institution(admin, school, rng) for school in SCHOOLS}
    statuses = Counter()
    for school in SCHOOLS:
        for offer in OFFERS[school.name]:
            course = create_course(admin, institutions[school.name], _course_values(school, offer, today, rng))
            for target in STATUS_PATH[offer.state]:
                change_status(admin, course, target)
            statuses[course.status] += 1
    accounts = {}
    for account in DEMO_ACCOUNTS[1:]:
        staff_of = STAFF_INSTITUTIONS.get(account.login)
        accounts[account.login] = create_user(
            admin, name=account.name, login=account.login, password=account.password, role=account.role,
            institution_id=institutions[staff_of].id if staff_of else None,
            region_code=FINANCE_REGIONS.get(account.login))
    registry = _import_registry(admin)
    college = institutions["海南省技师学院"]
    _grandson_applies(accounts[DEMO_ACCOUNTS[1].login], college, today)
    _student_applies_with_proof(accounts[DEMO_ACCOUNTS[5].login], college, today)
    return {"regions": regions, "institutions": len(institutions), "courses": statuses.total(),
            "published": statuses[CourseStatus.published], "accounts": len(DEMO_ACCOUNTS),
            "registry people": registry.added}


def _import_registry(admin: User) -> RegistryImport:
    """Import the demo registry through the portal's own importer.

    The importer works on a connection of its own, so it commits what the demo made before it.
    """
    data = registry_csv()
    batch = create_import(admin, "建档立卡名单（演示）.csv", io.BytesIO(data), full=True, keep_file=False)
    batch = run_import(batch.id, io.BytesIO(data))
    if batch.status != ImportStatus.done or batch.rejected:
        raise RuntimeError(f"the demo registry did not import cleanly: {batch.error or batch.rejected}")
    return batch


def _grandson_applies(grandmother: User, college: Institution, today: date) -> None:
    """王桂英 has added her grandson, who is in the registry, and applied to a 扶贫班 with reserved places."""
    [grandson] = [p for p in REGISTRY if p.name == DEMO_GRANDSON]
    student = create_student(grandmother, id_number=registry_id_number(grandson), name=grandson.name,
                             relation=Relation.grandchild, region_code=REGISTRY_VILLAGES[grandson.household][0],
                             school="琼中县湾岭中学", phone="")
    submit_application(grandmother, student, _open_poverty_class(college, today), today)


def _student_applies_with_proof(account: User, college: Institution, today: date) -> None:
    """林晓燕 is not in the registry: she has uploaded her village's 贫困证明 and applied to the same
    扶贫班, so 李老师's review queue has an application waiting for its proof to be checked."""
    student = create_student(account, id_number=unlisted_id_number(), name=UNLISTED.name, relation=Relation.self,
                             region_code=UNLISTED.region, school=UNLISTED.school, phone=account.mobile)
    proof = render_pdf("demo/poverty_certificate.html", student=UNLISTED, issued=today - timedelta(days=20))
    add_document(account, student, DocumentKind.poverty_certificate, "贫困证明.pdf", proof)
    submit_application(account, student, _open_poverty_class(college, today), today)


def _open_poverty_class(college: Institution, today: date) -> Course:
    """The college's earliest-starting 扶贫班 open for applications, with places reserved for the green channel."""
    return db.session.scalars(
        select(Course).where(Course.institution_id == college.id, Course.kind == CourseKind.poverty_class,
                             Course.status == CourseStatus.published, Course.reserved_places > 0,
                             Course.apply_opens <= today, Course.apply_closes >= today)
        .order_by(Course.start_date)).first()


def _first_admin(account: DemoAccount) -> User:
    """The admin every other account is made by; create_user only lets an admin make one."""
    field, value = normalize_login(account.login)
    if problem := password_problem(account.password):
        raise AccountError(problem)
    admin = User(name=account.name, role=Role.admin, password_hash=hash_password(account.password),
                 **{field: value})
    db.session.add(admin)
    db.session.flush()
    record(None, "user.create", admin, after={"role": str(Role.admin), "via": "demo"})
    return admin


def _create_institution(admin: User, school: School, rng: random.Random) -> Institution:
    return create_institution(admin, uscc_code=_uscc(school.registrar, school.region_code, rng),
                              name=school.name, kind=school.kind, region_code=school.region_code,
                              address=school.address, phone=school.phone, description=school.description)


def _uscc(registrar: str, region_code: str, rng: random.Random) -> str:
    """A well-formed 统一社会信用代码 for the region, its embedded organisation code valid too.

    python-stdnum checks only the final check digit, but a real code embeds a GB 11714
    organisation code with its own check digit, so the demo makes that one right as well.
    """
    body = f"{rng.randrange(10 ** 8):08d}"
    organisation = body + _organisation_check_digit(body)
    first17 = registrar + region_code + organisation
    return first17 + uscc.calc_check_digit(first17)


def _organisation_check_digit(body: str) -> str:
    """The GB 11714 check character for the first eight characters of an organisation code."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(body, weights))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _course_values(school: School, offer: Offer, today: date, rng: random.Random) -> dict:
    days = _length_in_days(offer, rng)
    start, opens, closes = _dates(offer, days, today, rng)
    capacity, reserved = _places(offer, rng)
    long_programme = days >= 365
    region = offer.site or school.region_code
    # Registry students in a technical college's full-time programme get all three benefits.
    benefits = offer.kind == _POVERTY or (long_programme and reserved > 0)
    return {
        "title": offer.title, "trade": offer.trade, "level": offer.level, "kind": offer.kind, "mode": offer.mode,
        "region_code": region,
        "address": _address(school, offer, region, rng),
        "schedule": PROGRAMME_SCHEDULE if long_programme else rng.choice(SCHEDULES[offer.mode]),
        "hours": _hours(offer.mode, days),
        "start_date": start, "end_date": start + timedelta(days=days - 1),
        "apply_opens": opens, "apply_closes": closes,
        "report_date": start - timedelta(days=1) if long_programme else None,
        "report_time": PROGRAMME_REPORT_TIME if long_programme else REPORT_TIMES[offer.mode],
        "capacity": capacity, "reserved_places": reserved, "fee_fen": offer.fee_fen,
        "fee_waiver": benefits, "national_grant": benefits, "living_allowance": benefits,
        "description": _description(offer),
        "how_to_apply": HOW_TO_APPLY[offer.kind],
    }


def _address(school: School, offer: Offer, region: str, rng: random.Random) -> str:
    if offer.mode == _VILLAGE:
        return rng.choice(VILLAGE_SITES[region])
    if offer.mode == _REMOTE:
        return "线上授课（用手机即可学习）"
    return school.address


def _length_in_days(offer: Offer, rng: random.Random) -> int:
    if offer.days:
        return offer.days
    if offer.kind == _POVERTY:
        return PROGRAMME_YEARS[offer.level] * 365
    return rng.choice((5, 7, 10, 15, 20, 30, 45, 60))


def _hours(mode: CourseMode, days: int) -> int:
    if days >= 365:
        return days // 365 * HOURS_PER_YEAR
    # Sessions a week and hours a session, as the schedules above promise: village classes meet
    # three half-days a week around farm work, remote ones for an evening hour and a half.
    sessions, hours = {_SITE: (5, 6), _VILLAGE: (3, 3), _REMOTE: (5, 1.5)}[mode]
    return max(8, round(max(1, round(days * sessions / 7)) * hours))


def _dates(offer: Offer, days: int, today: date, rng: random.Random) -> tuple[date, date, date]:
    """Start date and application window: open now for most, already past for running and closed courses."""
    if offer.state == "running":
        start = today - timedelta(days=rng.randint(3, min(10, days - 1)))
    elif offer.state == "closed":
        start = today - timedelta(days=days + rng.randint(10, 40))
    else:
        start = today + timedelta(days=rng.randint(30, 200) if offer.kind == _POVERTY else rng.randint(3, 200))
    if start > today:
        opens = today - timedelta(days=rng.randint(3, 40))
        closes = today + timedelta(days=max(1, (start - today).days - rng.randint(1, 10)))
    else:
        closes = start - timedelta(days=rng.randint(1, 7))
        opens = closes - timedelta(days=rng.randint(20, 45))
    return start, opens, closes


def _places(offer: Offer, rng: random.Random) -> tuple[int, int]:
    if offer.kind == _POVERTY:
        capacity = rng.choice((30, 40, 45, 50, 60))
        return capacity, rng.randint(capacity // 2, capacity)
    if offer.mode == _REMOTE:
        capacity = rng.choice((60, 80, 100, 120))
    elif offer.mode == _VILLAGE:
        capacity = rng.choice((20, 25, 30, 40, 50))
    else:
        capacity = rng.choice((20, 30, 40, 50, 60, 80))
    if offer.kind == _FREE:
        return capacity, rng.choice((0, capacity // 4, capacity // 2, capacity))
    return capacity, rng.choice((0, 0, 5, 10))


def _description(offer: Offer) -> str:
    sentences = [TRADE_NOTES[offer.trade]]
    if offer.kind == _POVERTY:
        sentences.append("建档立卡家庭学生免学费，享受国家助学金和生活补助，毕业推荐就业。")
    elif offer.kind == _FREE:
        sentences.append("培训全免费，结业后可参加职业技能等级认定。")
    else:
        sentences.append(f"收费{offer.fee_fen // 100}元，含教材和考证费用。")
    if offer.mode == _VILLAGE:
        sentences.append("老师送教到村，在家门口上课，不耽误农活。")
    elif offer.mode == _REMOTE:
        sentences.append("用手机就能上课，直播错过了可以回看。")
    return "".join(sentences)
