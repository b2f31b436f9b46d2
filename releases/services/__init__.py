"""The services of releases (every write of the domain goes through one of these modules):

- `releases`: releases and their artifacts (create, publish, yank; streamed to storage);
- `check`: the update check (what a device is offered);
- `sessions`: update sessions and their status reports (the state machine);
- `downloads`: who may download an artifact;
- `rollouts`: start, pause, resume, advance, halt, and the beat's tick;
- `outcomes`: the daily counts of update outcomes, kept by status reports.
"""
