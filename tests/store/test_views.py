"""The store is the one way to the database: the dashboard's read models (`zapiki.store.views`) and the few
repository reads the dashboard uses answer as the dashboard shows them, on SQLite and PostgreSQL; and the store,
the lower layer, imports nothing of the layers above it."""

from __future__ import annotations

import ast
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from zapiki.errors import NotFound
from zapiki.service import ZapikiService
from zapiki.store.jobs import JobRepository
from zapiki.store.models import utcnow
from zapiki.store.views import DashboardViews, JobFilter

STORE = Path(__file__).resolve().parents[2] / "zapiki" / "store"
HIGHER = ("zapiki.dashboard", "zapiki.jobs", "zapiki.service", "zapiki.api")


@pytest.fixture
def service(db_url):
    svc = ZapikiService.open(db_url, dispatch=False)
    yield svc
    svc.close()


def _result(job_id):
    return {"job_id": job_id, "proof_data": {}, "public_inputs": {}, "verification_key": None, "took_ms": 2.0}


def test_the_store_imports_nothing_from_the_layers_above_it():
    found = []
    for path in sorted(STORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            found += [f"{path.name}: {n}" for n in names if n.startswith(HIGHER)]
    assert found == []


def test_the_dashboards_read_models_answer_per_user_and_filter(service):
    alice = service.keys.get_or_create_user("alice@example.com", tier="pro")[0]["id"]
    bob = service.keys.get_or_create_user("bob@example.com", tier="pro")[0]["id"]
    circuit = service.circuits.create(alice, "mult", proof_system="groth16", status="ready")
    views = DashboardViews(service.sessions)
    marker = views.change_marker()
    assert views.job_groups() == [] and views.jobs_page(None, JobFilter(), 10, 0) == []

    service.proofs.add_jobs(alice, "commitment", [({"n": i}, {}) for i in range(3)], "normal", 3, 60.0)
    service.proofs.add_jobs(bob, "commitment", [({"n": 9}, {})], "high", 3, 60.0)
    assert views.change_marker() != marker
    assert sorted(views.job_groups()) == sorted([(alice, "pending", "normal", 3), (bob, "pending", "high", 1)])
    assert views.count_jobs(alice, JobFilter(system="commitment")) == 3
    assert views.count_jobs(None, JobFilter(system="commitment", queue="high")) == 1
    assert views.count_jobs(bob, JobFilter(system="groth16")) == 0

    page = views.jobs_page(None, JobFilter(status="pending"), limit=2, offset=0)
    assert len(page) == 2 and page[0]["created_at"] >= page[1]["created_at"]
    assert set(page[0]) == {
        "id",
        "proof_system",
        "circuit",
        "queue",
        "status",
        "runs",
        "retry_count",
        "worker",
        "created_at",
        "started_at",
        "completed_at",
        "error_message",
        "email",
    }
    mine = views.jobs_page(alice, JobFilter(), limit=10, offset=1)
    assert len(mine) == 2 and {r["email"] for r in mine} == {"alice@example.com"}

    # running, then finished: the cluster view's running jobs, the per-minute figures, the timing
    jobs = JobRepository(service.sessions)
    token = str(uuid.uuid4())
    [claimed] = jobs.claim("high", token, "d1", 30.0, frozenset(), 1)
    jobs.record_run(token, "tcp://w:1", utcnow(), 60.0, 30.0, rerun=False)
    assert views.running_jobs() == [("tcp://w:1", claimed.id, bob, "commitment")]
    jobs.complete(token, [_result(claimed.id)])
    assert views.running_jobs() == []
    since = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=59)
    minutes = views.finished_per_minute(None, since, 60)
    assert len(minutes) == 60 and minutes[0][0] == since and minutes[-1][1:] == (1, 0)
    assert sum(c for _, c, _ in views.finished_per_minute(alice, since, 60)) == 0
    assert views.generation_times(None, ["commitment", "groth16"]) == {
        "commitment": {"count": 1, "p50_ms": 2.0, "p95_ms": 2.0}
    }
    assert views.generation_times(alice, ["commitment"]) == {}

    # the inputs of the newest proof on a circuit, as far as the scope may see
    assert views.newest_input(None, circuit["id"]) is None
    service.proofs.add_jobs(alice, "groth16", [({"a": 1, "b": [2, 3]}, {})], "normal", 3, 60.0, circuit["id"])
    assert views.newest_input(alice, circuit["id"])["data"] == {"a": 1, "b": [2, 3]}
    assert views.newest_input(bob, circuit["id"]) is None
    assert views.count_jobs(None, JobFilter(system="groth16")) == 1
    [row] = views.jobs_page(None, JobFilter(system="groth16"), limit=5, offset=0)
    assert row["circuit"] == "mult"


def test_the_user_email_and_circuit_name_reads(service):
    alice, _ = service.keys.get_or_create_user("alice@example.com", tier="pro")
    assert service.keys.user(alice["id"])["email"] == "alice@example.com"
    assert service.keys.user(alice["id"])["tier"] == "pro"
    with pytest.raises(NotFound):
        service.keys.user("no-such-user")
    assert service.keys.emails([alice["id"], "no-such-user"]) == {alice["id"]: "alice@example.com"}
    assert service.keys.emails([]) == {}
    circuit = service.circuits.create(alice["id"], "mult", proof_system="groth16", status="ready")
    assert service.circuits.name_of(circuit["id"]) == "mult"
    assert service.circuits.name_of("no-such-circuit") is None
