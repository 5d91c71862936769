"""Root types, assembled from the query, mutation and subscription mixins of each area.

Each area keeps its types, queries and mutations together (``cooperatives``, ``proposals``,
``jobs``, ``access``...) and adds its mixins to the base-class lists below; their order is the
order of the fields in the published schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from sqlalchemy import select
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext, Info

from api import loaders
from api.access_log import RecordOperation
from api.context import Context
from api.errors import MaskUnexpectedErrors
from api.guards import guard_extensions
from api.permissions import IsOperations
from api.schema.access import AccessMutation, AccessQuery
from api.schema.changes import ChangeQuery
from api.schema.common import Node, db_int, parse_global_id
from api.schema.cooperatives.mutations import CooperativeMutation
from api.schema.cooperatives.queries import CooperativeQuery, one_cooperative
from api.schema.coverage import CoverageQuery
from api.schema.exports import ExportMutation, ExportQuery
from api.schema.fast import lighten
from api.schema.findings import FindingsQuery
from api.schema.jobs import JobMutation, JobQuery, JobSubscription, load_job, to_edition, to_job
from api.schema.proposals import ProposalMutation, ProposalQuery, to_proposal
from api.schema.regions import District, Province, Regency, RegionQuery, Village, to_region
from api.schema.viewer import ViewerQuery
from api.tracing import graphql_tracing
from shared.models import Edition as EditionModel
from shared.proposals import queries as proposal_queries

REGION_TYPES = {"Province", "Regency", "District", "Village"}


async def resolve_node(info: Info[Context, Any], id: str) -> Node | None:
    type_name, key = parse_global_id(id)
    ctx = info.context
    if type_name in REGION_TYPES:
        row = await loaders.region_by_code(ctx).load(key)
        region = to_region(row) if row else None
        return region if region is not None and type(region).__name__ == type_name else None
    number = db_int(key)
    if number is None:
        return None
    if type_name == "Cooperative":
        return await one_cooperative(info, number)
    if type_name == "Proposal":
        rows = await loaders.run(ctx, proposal_queries.proposals_by_id([number]))
        return to_proposal(rows[0]) if rows else None
    if type_name == "Edition":
        editions = await loaders.scalars(ctx, select(EditionModel).where(EditionModel.id == number))
        return to_edition(editions[0]) if editions else None
    if type_name == "ImportJob":
        IsOperations().has_permission(None, info)  # raises when not allowed
        job = await load_job(ctx, number)
        return to_job(job) if job else None
    return None


@strawberry.type(description="Read access: coverage, regions, cooperatives, proposals, jobs.")
class Query(
    RegionQuery,
    CoverageQuery,
    FindingsQuery,
    CooperativeQuery,
    ProposalQuery,
    JobQuery,
    AccessQuery,
    ViewerQuery,
    ChangeQuery,
    ExportQuery,
):
    @strawberry.field(description="Any object by its global id (Relay), or null.")
    async def node(self, info: Info[Context, Any], id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)


@strawberry.type(description="Changes: imports and recalculation (operations), data (admin).")
class Mutation(JobMutation, CooperativeMutation, ProposalMutation, AccessMutation, ExportMutation):
    pass


@strawberry.type(description="Live updates over graphql-transport-ws.")
class Subscription(JobSubscription):
    pass


def schema_extensions() -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    return [graphql_tracing, RecordOperation, *guard_extensions(), MaskUnexpectedErrors]


class KopdesSchema(strawberry.Schema):
    """Strawberry logs every error of every response with its traceback: a denied field or a
    misspelt query would fill the logs at ERROR. Those are the client's; unexpected errors are
    logged (with the request id) where they are masked, in ``api.errors``."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


schema = KopdesSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    # Reached only through the Region interface: name them so fragments on them validate.
    types=[Province, Regency, District, Village],
    extensions=schema_extensions(),
)
# Plain fields and argument-free methods get a direct resolver (api.schema.fast).
lighten(schema)
