"""`flask portal …` commands. Thin: they call services and commit."""
from datetime import datetime
from pathlib import Path
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


@portal_cli.command("daily")
def daily() -> None:
    """The day's chores (run once a day): lapse offers not accepted in time, giving their places to the
    waiting lists; remind families whose offer's last day has come; delete the audit exports and stored
    registry files kept past their week."""
    from portal.audit.export import delete_old_exports
    from portal.db import today
    from portal.enrollment.services import lapse_overdue, remind_offers
    from portal.registry.services import delete_stale_files

    lapsed, reminded = lapse_overdue(today()), remind_offers(today())
    exports, files = delete_old_exports(), delete_stale_files()
    db.session.commit()
    click.echo(f"{lapsed} offers lapsed\n{reminded} families reminded of an offer's last day\n"
               f"{exports} audit exports deleted\n{files} registry files deleted")


@portal_cli.group("registry")
def registry_cli() -> None:
    """The 建档立卡 poverty registry."""


@registry_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--partial", is_flag=True, help="Not a full list: people it does not list are not marked as left.")
@click.option("--confirm-leaving", is_flag=True,
              help="A full list leaving out more than PORTAL_REGISTRY_HOLD_LEAVING of the registry is meant: "
                   "mark them all as left.")
def import_registry(file: Path, partial: bool, confirm_leaving: bool) -> None:
    """Import a registry file (XLSX, XLS or ODS, or CSV in UTF-8 or GBK) and print what it changed.

    Messages are printed as their msgids, which are the Simplified Chinese text.
    """
    from portal.registry.models import ImportStatus
    from portal.registry.services import create_import, rejections_page, run_import, several_sheets

    with file.open("rb") as source:
        batch = create_import(None, file.name, source, full=not partial, keep_file=False,
                              leaving_confirmed=confirm_leaving)
        db.session.commit()
        batch = run_import(batch.id, source)
    db.session.commit()
    if batch.status == ImportStatus.done:
        if batch.sheets:
            click.echo(f"read from sheet{'s' if several_sheets(batch) else ''} {', '.join(batch.sheets)}")
        click.echo(f"import {batch.id}: {batch.added} added, {batch.updated} updated, {batch.unchanged} unchanged, "
                   f"{batch.left} left, {batch.rejected} rejected"
                   + (f", {batch.repeated} repeated" if batch.repeated else ""))
    for rejection in rejections_page(batch, 1, 10):
        where = f"sheet {batch.sheets[rejection.sheet_no]} row" if several_sheets(batch) else "row"
        click.echo(f"  {where} {rejection.row_no}: {rejection.reason % rejection.values['params']}")
    if batch.rejected > 10:
        click.echo(f"  … and {batch.rejected - 10} more rows: see /admin/registry/imports/{batch.id}")
    if batch.error:
        raise click.ClickException(f"import {batch.id} failed: {batch.error}")
    if batch.status == ImportStatus.held:
        raise click.ClickException(
            f"import {batch.id} held, nothing changed: this full list leaves out {batch.left} people in the registry. "
            "If it is a part of the list, import it with --partial; if they have all left, with --confirm-leaving.")


def init_app(app: Flask) -> None:
    app.cli.add_command(portal_cli)
