"""The services of notifications:

- `events`: the subscriber turning events into notifications, in the event's transaction;
- `recipients`: recipients added, changed, removed by staff, unsubscribed by themselves;
- `digests`: beat's digests, one email per recipient and digest window.
"""
