"""The services of devices (every write of the domain goes through one of these modules):

- `devices`: registration, deactivation, token rotation, silent seats, contacts flushed;
- `contacts`: contacts noted on hot paths, gathered in the cache for the flush;
- `sites`: NEOPRO sites, registered and resynced by staff;
- `nodes`: nodes reporting by tenant that name themselves (CyberSensei `nodeId`).
- `windows`: maintenance windows of a tenant, its sites and device groups.
"""
