"""The agent's timer and queues on their own (no server)."""

from relais_agent import Agent, AgentConfig


def _agent(tmp_path, **options) -> Agent:
    config = AgentConfig(
        server="http://127.0.0.1:9",
        license_key="k",
        state_dir=tmp_path / "state",
        hardware_id="hw",
        target=tmp_path / "app",
        **options,
    )
    return Agent(config)


def test_checks_are_spread_by_jitter_and_back_off_after_failures(tmp_path):
    agent = _agent(tmp_path, interval=100, jitter=0.1, max_backoff=1000)
    delays = [agent.next_delay(0) for _ in range(200)]
    assert all(90 <= d <= 110 for d in delays) and len(set(delays)) > 100
    assert all(180 <= agent.next_delay(1) <= 220 for _ in range(50))
    assert all(360 <= agent.next_delay(2) <= 440 for _ in range(50))
    assert all(900 <= agent.next_delay(9) <= 1100 for _ in range(50))  # capped


def test_the_telemetry_queue_is_bounded_and_counts_what_it_dropped(tmp_path):
    agent = _agent(tmp_path, telemetry_max=3)
    for value in range(5):
        agent.queue_telemetry({"cpu": float(value)})
    again = _agent(tmp_path, telemetry_max=3)  # from the state file
    assert [r["metrics"]["cpu"] for r in again.state.telemetry] == [2.0, 3.0, 4.0]
    assert again.state.telemetry_dropped == 2
