"""The services of telemetry (every write of the domain goes through one of these modules):

- `ingest`: the reports nodes send (one INSERT per report or batch);
- `alerts`: alerts opened, escalated and resolved (on ingest, by beat);
- `staff`: what staff do: acknowledge and resolve alerts, alert rules;
- `maintenance`: beat: the latest metrics flush, hourly rollups, retention;
- `expiry`: beat: license expiry notices.
"""
