"""The embedded SQLite database under concurrent writers: a form posted while another connection (a
registry import in the background, another family) commits is not refused with "database is locked"."""
import sqlite3
import threading
import time

from sqlalchemy import text

from portal import create_app
from portal.extensions import db


def test_a_post_whose_read_is_followed_by_another_connections_commit_still_writes(tmp_path):
    path = tmp_path / "portal.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "ID_KEY": "5e" * 32, "JOBS_IMMEDIATE": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    app.instance_path = str(tmp_path)
    with app.app_context():
        engine = db.engine  # this app's own database (the suite's session is bound to another)
        with engine.begin() as setup:
            setup.execute(text("CREATE TABLE places (taken INTEGER)"))

        def another_writer():
            other = sqlite3.connect(path, timeout=5)
            other.execute("INSERT INTO places VALUES (1)")
            other.commit()
            other.close()

        with app.test_request_context("/apply", method="POST"), engine.connect() as request_connection:
            request_connection.execute(text("SELECT count(*) FROM places"))  # the request reads first (its user)
            writer = threading.Thread(target=another_writer)
            writer.start()
            time.sleep(0.3)  # the other connection's commit comes between this request's read and its write
            request_connection.execute(text("INSERT INTO places VALUES (2)"))
            request_connection.commit()
            writer.join()
        with engine.connect() as check:
            assert sorted(check.scalars(text("SELECT taken FROM places"))) == [1, 2]
        engine.dispose()
