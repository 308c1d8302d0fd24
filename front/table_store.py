"""Refresh-token families in Azure Table Storage (OAUTH_FRONT_TOKEN_STORE), or in Azurite locally.

Imported only when the store is configured, so neither a cold start without it nor the front
without it loads the Table SDK. One entity per family (PartitionKey = family id), holding its
current generation, whether it is revoked, and when its window ends (for clean-up).

Concurrency is optimistic (the Table service's ETags, "Managing concurrency in Table storage"):
a refresh reads the entity, asks the issuer, then writes the next generation only if the ETag is
unchanged; the first write of a family is an insert, which fails if another instance inserted
first. Two instances redeeming one generation can therefore never both win: the loser sees the
family moved on, treats its token as replayed, and revokes the family.

On Azure the app's managed identity authenticates (Storage Table Data Contributor on the account;
no account key exists in the settings): MSAL's managed-identity client, which the front already
uses for its federated assertion, behind azure-core's TokenCredential protocol. Locally the URL
names Azurite on loopback, which takes its public, documented development account key.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from azure.core import MatchConditions
from azure.core.credentials import AccessToken, AzureNamedKeyCredential
from azure.core.exceptions import AzureError, ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableServiceClient, UpdateMode

from .families import Claim, Family, FamilyRecord, FamilyReused, FamilyRevoked, StoreUnavailable, judge

__all__ = ["ManagedIdentityTokenCredential", "TableFamilyStore", "TABLE_NAME"]

TABLE_NAME = "oauthfrontrefreshfamilies"
_ROW = "family"
# Azurite's account and key are public and the same everywhere ("Use the Azurite emulator for local
# Azure Storage development": the well-known storage account and key).
_AZURITE_ACCOUNT = "devstoreaccount1"
_AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
# A refresh waits on the store at most a few seconds, and fails closed (503) after that.
_CLIENT_OPTIONS: dict[str, Any] = {
    "connection_timeout": 3,
    "read_timeout": 5,
    "retry_total": 1,
    "retry_backoff_factor": 0.2,
}


class ManagedIdentityTokenCredential:
    """azure-core's TokenCredential over MSAL's managed-identity client (App Service's
    IDENTITY_ENDPOINT protocol); MSAL caches the token until shortly before it expires."""

    def __init__(self, identity: str) -> None:
        self._identity = identity
        self._client: Any = None
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        import msal
        import requests

        if len(scopes) != 1:
            raise ValueError("one scope, the storage resource's /.default")
        with self._lock:
            if self._client is None:
                managed = msal.UserAssignedManagedIdentity(client_id=self._identity)
                self._client = msal.ManagedIdentityClient(managed, http_client=requests.Session())
            client = self._client
        # A managed identity's token is asked for by resource, not by scope.
        resource = scopes[0].removesuffix("/.default")
        try:
            result = client.acquire_token_for_client(resource=resource)
        except (requests.RequestException, ValueError) as exc:
            raise StoreUnavailable("managed_identity") from exc
        token = result.get("access_token") if isinstance(result, dict) else None
        if not token:
            raise StoreUnavailable("managed_identity")
        expires_in = result.get("expires_in")
        lifetime = int(expires_in) if isinstance(expires_in, (int, float)) else 300
        return AccessToken(str(token), int(time.time()) + lifetime)


def _service(endpoint: str, managed_identity: str | None) -> TableServiceClient:
    if urlsplit(endpoint).scheme == "http":  # settings allow plain http only for Azurite on loopback
        credential: Any = AzureNamedKeyCredential(_AZURITE_ACCOUNT, _AZURITE_KEY)
    else:
        if managed_identity is None:
            raise ValueError("a managed identity is required for a Table Storage endpoint")
        credential = ManagedIdentityTokenCredential(managed_identity)
    return TableServiceClient(endpoint=endpoint, credential=credential, **_CLIENT_OPTIONS)


class TableFamilyStore:
    """`front.families.FamilyStore` on one table. Blocking: callers run it off the event loop."""

    def __init__(self, endpoint: str, *, managed_identity: str | None, table_name: str = TABLE_NAME) -> None:
        # azure-core logs every request's URL (a family id in the path) at INFO: keep the app's log to
        # its own lines ("Configure logging in the Azure libraries for Python").
        logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
        self._service = _service(endpoint, managed_identity)
        self._table_name = table_name
        self._table: TableClient | None = None
        self._lock = threading.Lock()

    def claim(self, family: Family, window_ends: int) -> Claim:
        table = self._ready()
        try:
            entity = table.get_entity(family.id, _ROW)
        except ResourceNotFoundError:
            entity = None
        except AzureError as exc:
            raise StoreUnavailable("read") from exc
        record = None if entity is None else _record(entity)
        verdict = judge(record, family.generation)
        if verdict.revoked_before:
            raise FamilyRevoked
        if verdict.revoke:
            self.revoke(family, window_ends)
            raise FamilyReused
        etag = None if entity is None else str(entity.metadata["etag"])
        return Claim(family=family, window_ends=window_ends, version=etag)

    def advance(self, claim: Claim) -> None:
        table = self._ready()
        entity = _entity(claim.family.next(), claim.window_ends, revoked=False)
        try:
            if claim.version is None:
                table.create_entity(entity)
            else:
                table.update_entity(entity, mode=UpdateMode.REPLACE, etag=claim.version, match_condition=MatchConditions.IfNotModified)
        except (ResourceExistsError, ResourceModifiedError) as exc:
            # Another use of this same generation got there first: one of the two is a replay.
            self.revoke(claim.family, claim.window_ends)
            raise FamilyReused from exc
        except AzureError as exc:
            raise StoreUnavailable("write") from exc

    def revoke(self, family: Family, window_ends: int) -> None:
        table = self._ready()
        try:
            # MERGE keeps the generation; an unknown family gets an entity that is revoked from the start.
            table.upsert_entity(
                {"PartitionKey": family.id, "RowKey": _ROW, "Revoked": True, "WindowEnds": window_ends},
                mode=UpdateMode.MERGE,
            )
        except AzureError as exc:
            raise StoreUnavailable("revoke") from exc

    def _ready(self) -> TableClient:
        """The table client, creating the table on first use (idempotent across instances)."""
        with self._lock:
            if self._table is None:
                try:
                    self._service.create_table_if_not_exists(self._table_name)
                except AzureError as exc:
                    raise StoreUnavailable("create_table") from exc
                self._table = self._service.get_table_client(self._table_name)
            return self._table


def _record(entity: Any) -> FamilyRecord:
    generation = entity.get("Generation")
    return FamilyRecord(
        generation=generation if isinstance(generation, int) else -1,
        revoked=entity.get("Revoked") is True,
    )


def _entity(family: Family, window_ends: int, *, revoked: bool) -> dict[str, Any]:
    return {
        "PartitionKey": family.id,
        "RowKey": _ROW,
        "Generation": family.generation,
        "Revoked": revoked,
        # When the entity can be deleted: after this no token of the family opens anyway.
        "WindowEnds": window_ends,
    }
