"""The domain's closed vocabularies (see DOMAIN.md). Stored as their string values."""

from __future__ import annotations

from enum import StrEnum


class RegionLevel(StrEnum):
    province = "province"
    regency = "regency"
    district = "district"
    village = "village"


class RegionKind(StrEnum):
    """Kind within a level: kabupaten/kota for regencies, desa/kelurahan for villages."""

    kabupaten = "kabupaten"
    kota = "kota"
    desa = "desa"
    kelurahan = "kelurahan"


class CooperativeKind(StrEnum):
    kdmp = "KDMP"  # Koperasi Desa Merah Putih, in a desa
    kkmp = "KKMP"  # Koperasi Kelurahan Merah Putih, in a kelurahan


class Scheme(StrEnum):
    new = "new"  # pembentukan baru
    development = "development"  # pengembangan
    revitalisation = "revitalisation"  # revitalisasi (reactivation or merger)


class Stage(StrEnum):
    """Stages in the order a cooperative passes them; compare with ``STAGE_ORDER``."""

    deliberation = "deliberation"  # musyawarah desa khusus
    founding_meeting = "founding_meeting"  # rapat pendirian
    notarial_deed = "notarial_deed"  # akta notaris
    legal_entity = "legal_entity"  # badan hukum, SK AHU
    cooperative_id = "cooperative_id"  # NIK koperasi
    business_ids = "business_ids"  # NIB and NPWP
    bank_account = "bank_account"
    operational = "operational"


STAGE_ORDER: dict[Stage, int] = {stage: i for i, stage in enumerate(Stage)}


class OutletType(StrEnum):
    """Standard business outlets (gerai) with their KBLI activity codes."""

    grocery = "grocery"  # sembako: 47111, 47112
    pharmacy = "pharmacy"  # apotek desa: 47721
    office = "office"  # kantor koperasi
    savings_loans = "savings_loans"  # simpan pinjam: 64142, sharia 64146
    clinic = "clinic"  # klinik desa: 86105
    cold_storage = "cold_storage"  # 52102
    logistics = "logistics"  # logistics/distribution: 52291-52297


OUTLET_KBLI: dict[OutletType, tuple[str, ...]] = {
    OutletType.grocery: ("47111", "47112"),
    OutletType.pharmacy: ("47721",),
    OutletType.office: (),
    OutletType.savings_loans: ("64142", "64146"),
    OutletType.clinic: ("86105",),
    OutletType.cold_storage: ("52102",),
    OutletType.logistics: tuple(str(c) for c in range(52291, 52298)),
}


class OutletStatus(StrEnum):
    planned = "planned"
    operating = "operating"
    closed = "closed"


class OfficerRole(StrEnum):
    chair = "chair"  # ketua
    vice_chair = "vice_chair"
    secretary = "secretary"
    treasurer = "treasurer"
    supervisor_chair = "supervisor_chair"  # ketua pengawas
    supervisor = "supervisor"  # anggota pengawas
    manager = "manager"


class ProposalStatus(StrEnum):
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"
    formed = "formed"


class JobKind(StrEnum):
    villages = "villages"
    cooperatives = "cooperatives"
    coverage = "coverage"
    export = "export"  # a partner's bulk file (shared.exports)


class ChangeType(StrEnum):
    """What a change-feed event says happened (shared.changes)."""

    cooperative_registered = "cooperative_registered"
    cooperative_updated = "cooperative_updated"  # its own fields (``fields`` names them)
    stage_recorded = "stage_recorded"
    villages_linked = "villages_linked"
    villages_unlinked = "villages_unlinked"
    outlet_added = "outlet_added"
    officers_recorded = "officers_recorded"
    merged = "merged"  # it came to cover several villages
    proposal_submitted = "proposal_submitted"
    proposal_decided = "proposal_decided"
    village_retired = "village_retired"  # by an edition of the official list
    village_renamed = "village_renamed"
    coverage_recalculated = "coverage_recalculated"


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class JobPhase(StrEnum):
    queued = "queued"
    reading = "reading"
    validating = "validating"
    comparing = "comparing"
    writing = "writing"
    done = "done"


class Role(StrEnum):
    """API roles, each including everything the ones before it may do."""

    anonymous = "anonymous"
    partner = "partner"
    operations = "operations"
    admin = "admin"


ROLE_RANK: dict[Role, int] = {role: i for i, role in enumerate(Role)}
