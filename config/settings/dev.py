"""The embedded default: development secrets are allowed here and only here."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-not-secret-relais")
RELAIS_KEY_PEPPER = env.str("RELAIS_KEY_PEPPER", default="dev-only-pepper")

# A signing key of this installation, made on first use (production takes one from the
# environment and refuses to start without it).
RELAIS_SIGNING_KEY_FILE = env.str(
    "RELAIS_SIGNING_KEY_FILE", default=str(VAR_DIR / "signing-key.pem")
)
RELAIS_SIGNING_KEY_GENERATE = True

# SQLite, the file cache and the filesystem broker live here: a fresh clone has no var/.
VAR_DIR.mkdir(parents=True, exist_ok=True)
