"""A LogiSense target in catalogsync.yaml: the shared fields, plus the tenant's client id.

The password grant wants the client id LogiSense support issued for the tenant (32 hex
digits); like every credential it is `{env: VAR}` or `{file: path}`, never a literal.
"""

from __future__ import annotations

from pydantic import Field

from catalogsync.config import Credentials, Secret, Target

_CLIENT_ID = "LogiSense: the tenant's API client id (default: $LOGISENSE_CLIENT_ID)."


class LogiSenseCredentials(Credentials):
    """One credential set of a LogiSense target."""

    client_id: Secret | None = Field(None, description=_CLIENT_ID)


class LogiSenseTarget(Target):
    """A LogiSense tenant (or the embedded emulator)."""

    client_id: Secret | None = Field(None, description=_CLIENT_ID)
    read: LogiSenseCredentials | None = Field(
        None, description=Target.model_fields["read"].description
    )
    write: LogiSenseCredentials | None = Field(
        None, description=Target.model_fields["write"].description
    )
