"""`flask portal …` commands. Thin: they call services and commit."""
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import Flask
from sqlalchemy import func, select

from portal.audit.services import record
from portal.auth.models import Role, User
from portal.auth.services import AccountError, hash_password, normalize_login, password_problem
from portal.extensions import db

portal_cli = click.Group("portal", help="技能扶贫 portal administration.")


@portal_cli.command("create-admin")
@click.option("--name", required=True, help="The administrator's name.")
@click.option("--login", required=True, help="Mobile number or e-mail used to log in.")
@click.password_option(help="At least 8 characters with letters and digits.")
def create_admin(name: str, login: str, password: str) -> None:
    """Create an administrator account (the way the first one is made)."""
    try:
        field, value = normalize_login(login)
    except AccountError as e:
        raise click.BadParameter(str(e), param_hint="--login") from None
    if problem := password_problem(password):
        raise click.BadParameter(problem, param_hint="--password")
    if db.session.scalar(select(User.id).where(getattr(User, field) == value)) is not None:
        raise click.ClickException(f"an account with {field} {value} exists already")
    user = User(name=name, role=Role.admin, password_hash=hash_password(password), **{field: value})
    db.session.add(user)
    db.session.flush()
    record(None, "user.create", user, after={"role": "admin", "via": "cli"})
    db.session.commit()
    click.echo(f"administrator {value} created")


@portal_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has accounts.")
def demo(if_empty: bool) -> None:
    """Load demo regions, institutions, courses and one account per role."""
    from portal.demo import load_demo

    if db.session.scalar(select(func.count()).select_from(User)):
        if if_empty:
            click.echo("database has data already; demo not loaded")
            return
        raise click.ClickException("the database is not empty; demo data goes into an empty one")
    counts = load_demo(datetime.now(ZoneInfo("Asia/Shanghai")).date())
    db.session.commit()
    click.echo("demo loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@portal_cli.command("worker")
def worker() -> None:
    """Run background jobs (registry imports, e-mail) until stopped; for PORTAL_JOBS_IN_PROCESS=false."""
    from flask import current_app

    from portal.common.jobs import run_worker

    click.echo("running background jobs; Ctrl-C stops")
    run_worker(current_app.extensions["jobs"]["huey"])


def init_app(app: Flask) -> None:
    app.cli.add_command(portal_cli)
