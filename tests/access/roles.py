"""The declared role table: who may reach each type and resolve each protected field.

``REACH`` is the lowest role that can reach a type from the roots at all. ``FIELDS`` is the
role a field's own permission class demands. A type with any protected field must declare
every one of its fields here, so a new field on it cannot go public by omission. The tests in
``test_role_matrix.py`` compare this table with the schema and fail on any difference or any
type or field missing from it.
"""

from __future__ import annotations

from shared.models import Role

A, P, OPS, ADM = Role.anonymous, Role.partner, Role.operations, Role.admin

FIELDS: dict[str, Role] = {
    # Query: the public dashboard, partner lists, operations jobs, admin keys and audit log.
    "Query.region": A,
    "Query.provinces": A,
    "Query.regions": A,
    "Query.retiredVillagesWithCooperatives": A,
    "Query.nationalCoverage": A,
    "Query.dataQualityFindings": A,
    "Query.coverageHistory": A,
    "Query.cooperative": A,
    "Query.cooperativeByRegistryId": A,
    "Query.cooperatives": A,
    "Query.proposals": P,
    "Query.editions": A,
    "Query.importJobs": OPS,
    "Query.importJob": OPS,
    "Query.apiKeys": ADM,
    "Query.auditLog": ADM,
    "Query.node": A,  # dispatches by id; ImportJob ids are checked in the resolver
    "Query.viewer": A,  # who is calling: anyone may ask
    "Query.changes": P,  # the change feed, scoped like the lists
    "Query.changesCursor": P,
    "Query.exportJob": P,  # the caller's own exports (any, for administrators)
    # Mutation: imports and recalculation for operations, data and keys for administrators.
    "Mutation.recomputeCoverage": OPS,
    "Mutation.startVillageImport": OPS,
    "Mutation.startCooperativeImport": OPS,
    "Mutation.restoreEdition": OPS,
    "Mutation.registerCooperative": ADM,
    "Mutation.updateCooperative": ADM,
    "Mutation.recordStage": ADM,
    "Mutation.addOutlet": ADM,
    "Mutation.linkCooperativeVillages": ADM,
    "Mutation.recordOfficers": OPS,
    "Mutation.startExport": P,
    "Mutation.submitProposal": ADM,
    "Mutation.decideProposal": ADM,
    "Mutation.createApiKey": ADM,
    "Mutation.revokeApiKey": ADM,
    "Subscription.importJob": OPS,
    # The cooperative directory is public; the profile is for partners (within their scope).
    "Cooperative.id": A,
    "Cooperative.databaseId": A,
    "Cooperative.registryId": A,
    "Cooperative.name": A,
    "Cooperative.kind": A,
    "Cooperative.scheme": A,
    "Cooperative.stage": A,
    "Cooperative.isMockup": A,
    "Cooperative.version": A,
    "Cooperative.updatedAt": A,
    "Cooperative.villages": A,
    "Cooperative.outletTypes": A,
    "Cooperative.outlets": P,
    "Cooperative.stageHistory": P,
    "Cooperative.legalIdentifiers": P,
    "Cooperative.officers": P,
    "Cooperative.memberCount": P,
    "Cooperative.memberCounts": P,
    "Cooperative.financingReadiness": P,
}

# Types every field of which is open once the type is reached.
REACH: dict[str, Role] = {
    **dict.fromkeys(
        [
            "Query",
            "Mutation",
            "Subscription",
            "ClaimingCooperative",
            "Cooperative",
            "CooperativeConnection",
            "CooperativeEdge",
            "Coverage",
            "CoverageFunnel",
            "DataQualityFindings",
            "District",
            "Edition",
            "OutletCount",
            "PageInfo",
            "ProposalCounts",
            "Province",
            "RateLimitStatus",
            "Regency",
            "RegionFindings",
            "RegionConnection",
            "RegionEdge",
            "SharedVillage",
            "SharedVillageConnection",
            "SharedVillageEdge",
            "UnplacedRow",
            "UnplacedRowConnection",
            "UnplacedRowEdge",
            "Village",
            "VillageConnection",
            "VillageEdge",
            "Viewer",
        ],
        A,
    ),
    **dict.fromkeys(
        [
            "ChangeEvent",
            "ChangeEventConnection",
            "ChangeEventEdge",
            "ExportJob",
            "ExportJobPayload",
            "JobProgress",
            "UserError",
            "FinancingReadiness",
            "LegalIdentifiers",
            "MemberCount",
            "Officer",
            "Outlet",
            "StageEvent",
            "Proposal",
            "ProposalConnection",
            "ProposalEdge",
        ],
        P,
    ),
    **dict.fromkeys(
        [
            "ImportIssue",
            "ImportIssueConnection",
            "ImportIssueEdge",
            "ImportJob",
            "ImportJobConnection",
            "ImportJobEdge",
            "ImportJobPayload",
            "CooperativePayload",
            "LevelChanges",
            "LevelMatchRate",
            "PlaceDecision",
            "PlaceDecisionConnection",
            "PlaceDecisionEdge",
            "ReconciliationReport",
            "RegionChangeSample",
        ],
        OPS,
    ),
    **dict.fromkeys(
        [
            "ApiKey",
            "AuditEntry",
            "AuditEntryConnection",
            "AuditEntryEdge",
            "CreatedApiKey",
            "OutletPayload",
            "ProposalPayload",
        ],
        ADM,
    ),
}

# Root fields excluded from the reachability walk: they dispatch on the id at run time.
DISPATCHERS = {"Query.node"}

# Mutations whose audit row is written elsewhere than in their own request. None now: the
# mutations that queue a job audit the request when they create it (shared.jobs.create_job).
AUDITED_BY_JOB: set[str] = set()
