"""An in-memory SQLite database (`sqlite://`: examples, notebooks' scratch work) is one connection that holds
the whole database: the threads of a service (requests, the dispatcher) take turns with it, a transaction at a
time, and never commit or roll back each other's."""

from __future__ import annotations

import threading

from zapiki.service import ZapikiService


def test_threads_sharing_an_in_memory_database_keep_their_transactions_apart():
    service = ZapikiService.open("sqlite://", None, dispatch=False)
    try:
        _, raw = service.keys.create_key("ada@example.com", tier="enterprise")
        user = service.keys.authenticate(raw)["user_id"]
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                for i in range(40):
                    service.create_proof(user, "commitment", f"{n}-{i}")
                    service.submit_many(user, "commitment", [f"{n}-{i}-a", f"{n}-{i}-b"])
                    service.proofs.list_jobs(user, None, None, 5, 0)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert len(service.proofs.list_jobs(None, None, None, 1000, 0)) == 4 * 40 * 2
        assert len(service.proofs.list_proofs(None, None, None, 1000, 0)) == 4 * 40 * 3
    finally:
        service.close()
