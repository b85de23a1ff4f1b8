"""Default settings; overridden by PORTAL_-prefixed environment variables, then a test's dict."""


class Config:
    SQLALCHEMY_DATABASE_URI = "sqlite:///portal.sqlite3"  # relative to instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SECRET_KEY: str | None = None  # generated into instance/ when absent

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set PORTAL_SESSION_COOKIE_SECURE=true behind HTTPS
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PREFERRED_URL_SCHEME = "http"

    WTF_CSRF_TIME_LIMIT = None  # a grandparent may leave a form open for hours

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_Hans_CN": "简体中文", "zh_Hant_TW": "繁體中文", "en": "English"}

    RATELIMIT_STORAGE_URI = "memory://"  # PORTAL_RATELIMIT_STORAGE_URI=redis://… in production
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"  # per account name and address
    LOGIN_ADDRESS_RATE_LIMIT = "300 per hour"  # per address: many phones share one behind carrier NAT
    PROXY_COUNT = 0  # reverse proxies in front that set X-Forwarded-For/-Proto (1 behind nginx)

    PASSWORD_HASH_METHOD = "scrypt"
    TEMPORARY_PASSWORD_HOURS = 72  # how long the temporary password a reset gives opens the account
    CATALOG_PAGE_SIZE = 20
    REFERENCE_CACHE_SECONDS = 60  # how long an app server keeps the region and trade lists
    PUBLIC_PAGE_CACHE_SECONDS = 10  # anonymous visitors' copies of catalog and course pages
    PUBLIC_PAGE_CACHE_SIZE = 500  # pages kept per app server (about 25 KB each)

    # ID numbers: a hex secret from which the encryption and lookup-hash keys derive. Generated into
    # instance/id_key when absent; losing it makes every stored ID number unreadable.
    ID_KEY: str | None = None

    REDIS_URL: str | None = None  # redis://… : background jobs go through Redis instead of SQLite
    JOBS_IN_PROCESS = True  # each app server runs queued jobs itself; false when `flask portal worker` runs
    JOBS_IMMEDIATE = False  # run jobs at once in the caller (tests)
    JOB_STALL_MINUTES = 15  # a queued or running job silent this long was stopped (a restart, a crash)

    REGISTRY_BACKGROUND_BYTES = 2_000_000  # larger registry files import as a background job
    AUDIT_EXPORT_IN_REQUEST = 5_000  # audit log exports of more entries are written by a background job
    REGISTRY_MAX_BYTES = 200 * 1024 * 1024  # a million rows as CSV is about 100 MB; beyond this, the CLI
    REGISTRY_WORKBOOK_MEMORY = 3 * 1024**3  # the most reading one workbook may take (portal.registry.importer)
    REGISTRY_HOLD_LEAVING = 0.2  # a full list leaving out more than this share of the registry awaits confirmation
    PROOF_MAX_BYTES = 5 * 1024 * 1024  # proof_documents' size_allowed CHECK holds the same ceiling: raise both

    MAIL_SERVER: str | None = None  # e-mail copies of notifications go out only when set
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_SENDER = "noreply@portal.invalid"
