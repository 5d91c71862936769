"""The ops console in a real browser (Debian's Chromium) against a real `kopdes serve` with
the bundled official list and the Kaltim demo: what visitors, operators and administrators do.

They run in the production runtime (set KOPDES_TEST_DATABASE_URL and KOPDES_TEST_REDIS_URL);
screenshots for docs/console are written when KOPDES_SCREENSHOTS names a folder.

The import journey retires every province but Kaltim (the 2022 edition covers province 64
only), so it runs after the journeys that read the nation; each test compares the page with
the server's own answers, never with figures written here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.console.conftest import Visit
from tests.console.pages import PAGES, UNLABELLED, id_number, id_percent, starting, stat
from tests.support import needs_postgres, needs_redis

# Once per CI run, in the production runtime (a separate worker process, Redis, PostgreSQL):
# the journeys take a couple of minutes, most of it the import retiring 90,000 regions.
pytestmark = [pytest.mark.browser, needs_postgres, needs_redis]

DATA = Path(__file__).resolve().parent.parent / "data"
KALTIM_2022 = sorted((DATA / "wilayah" / "2022-64").glob("*.csv"))
ACEH_REGISTRY = DATA / "console" / "registry-aceh.csv"
BAD_VILLAGES = DATA / "villages" / "bad" / "bad_code.csv"
ACEH_VILLAGE = "11.01.01.2001"

Visitor = Callable[..., Visit]


NATIONAL = """{ nationalCoverage { activeVillages coveredVillages coveragePercent cooperatives }
  provinces { code name coverage { coveragePercent } } }"""


def test_the_coverage_page_shows_the_national_figures_of_the_running_server(
    visit: Visitor,
) -> None:
    v = visit()
    answer = v.server.graphql(NATIONAL)
    national = answer["nationalCoverage"]
    v.open()
    page = v.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Cakupan nasional")
    expect(stat(page, "Desa/kelurahan")).to_have_text(id_number(national["activeVillages"]))
    expect(stat(page, "Tercakup")).to_have_text(id_number(national["coveredVillages"]))
    expect(stat(page, "Cakupan")).to_have_text(id_percent(national["coveragePercent"]))
    expect(stat(page, "Koperasi")).to_have_text(id_number(national["cooperatives"]))
    provinces = page.get_by_role("table", name=re.compile(r"^\d+ provinsi"))
    expect(provinces.locator("tbody tr")).to_have_count(len(answer["provinces"]))
    kaltim = provinces.get_by_role("row", name=re.compile("Kalimantan Timur"))
    expect(kaltim).to_contain_text(id_percent(next(
        p["coverage"]["coveragePercent"] for p in answer["provinces"] if p["code"] == "64"
    )))  # fmt: skip
    v.shoot("coverage")

    # Sorting by coverage puts the best-covered province first, in the chart too.
    header = provinces.locator("thead th").filter(has=page.get_by_role("button", name="Cakupan"))
    expect(header).to_have_attribute("aria-sort", "none")
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    best = max(answer["provinces"], key=lambda p: p["coverage"]["coveragePercent"])
    expect(provinces.locator("tbody tr").first).to_contain_text(best["name"])
    chart = page.get_by_role("figure", name="Persentase desa/kelurahan yang memiliki koperasi")
    expect(chart.locator("li")).to_have_count(len(answer["provinces"]))
    expect(chart.locator("li").first).to_contain_text(best["name"])


def test_a_visitor_drills_down_from_the_nation_to_a_kaltim_village(visit: Visitor) -> None:
    v = visit()
    page = v.page
    v.open()
    main = page.get_by_role("main")
    for name, caption in (
        ("Kalimantan Timur", "10 kabupaten/kota di Kalimantan Timur"),
        ("Kota Samarinda", "10 kecamatan di Kota Samarinda"),
        ("Samarinda Utara", "8 desa/kelurahan di Samarinda Utara"),
    ):
        main.get_by_role("table").get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        expect(main.get_by_role("table", name=starting(caption))).to_be_visible()
        v.shoot({"Kalimantan Timur": "region-province", "Samarinda Utara": "region-district"}.get(
            name, "region-regency"))  # fmt: skip
    main.get_by_role("link", name="Lempake", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lempake")
    crumbs = page.get_by_role("navigation", name="Jejak wilayah")
    expect(crumbs.get_by_role("link")).to_have_text(
        ["Indonesia", "Kalimantan Timur", "Kota Samarinda", "Samarinda Utara"]
    )
    village = v.server.graphql(
        '{ region(code: "64.72.05.1003") { ... on Village { cooperatives { name } } } }'
    )
    (coop,) = village["region"]["cooperatives"]
    card = main.get_by_role("listitem").filter(has=page.get_by_role("heading", name=coop["name"]))
    expect(card).to_contain_text("Percontohan nasional")
    expect(card).to_contain_text("Beroperasi")
    expect(stat(page, "Tercakup")).to_have_text("Ya")
    v.shoot("village")

    crumbs.get_by_role("link", name="Kalimantan Timur").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kalimantan Timur")


def test_figures_behind_the_data_carry_a_stale_badge(visit: Visitor) -> None:
    from sqlalchemy import update

    from shared.db import get_database
    from shared.models import DataState

    v = visit()
    v.open("#/coverage/64")
    expect(v.page.get_by_text("Terkini", exact=True)).to_be_visible()
    db = get_database()
    # Data ahead of its figures, as between a change and its recalculation.
    with db.transaction() as session:
        session.execute(update(DataState).values(data_version=DataState.data_version + 1))
    try:
        v.page.reload()
        expect(v.page.get_by_text("Sedang dihitung ulang", exact=True)).to_be_visible()
    finally:
        with db.transaction() as session:
            session.execute(update(DataState).values(data_version=DataState.data_version - 1))


def test_an_anonymous_visitor_sees_no_import_controls(visit: Visitor) -> None:
    v = visit()
    page = v.page
    v.open()
    nav = page.get_by_role("navigation", name="Menu utama")
    expect(nav.get_by_role("link")).to_have_text(["Cakupan", "Kualitas data"])
    for fragment in ("#/imports", "#/jobs", "#/keys"):
        v.open(fragment)
        expect(page.get_by_role("note")).to_contain_text("Masuk terlebih dahulu")
        expect(page.locator("input, select:not(#language), form")).to_have_count(0)
        expect(page.get_by_role("button", name=re.compile("Pratinjau|impor|kunci"))).to_have_count(
            0
        )
    v.open("#/imports")
    v.shoot("anonymous-imports")
    # The page never even asked for what it may not see.
    asked = " ".join(v.recorder.bodies)
    for protected in ("importJobs", "apiKeys", "startVillageImport", "viewer"):
        assert protected not in asked


def test_a_partner_signs_in_and_still_sees_no_imports(visit: Visitor) -> None:
    v = visit()
    v.sign_in("partner")
    nav = v.page.get_by_role("navigation", name="Menu utama")
    expect(nav.get_by_role("link")).to_have_text(["Cakupan", "Kualitas data"])
    v.open("#/imports")
    expect(v.page.get_by_role("note")).to_contain_text("kunci Anda tidak memilikinya")
    expect(v.page.locator("input[type=file]")).to_have_count(0)
    v.open("#/signin")
    expect(v.page.get_by_role("main")).to_contain_text("Mitra")
    v.shoot("account")


def test_a_refused_key_is_not_kept(visit: Visitor) -> None:
    v = visit()
    v.recorder.tolerate("status of 401")
    v.open("#/signin")
    v.page.get_by_label("Kunci API").fill("kdp_aaaaaaaaaaaa_" + "A" * 43)
    v.page.get_by_role("main").get_by_role("button", name="Masuk").click()
    expect(v.page.get_by_role("alert")).to_contain_text("Kunci API tidak diterima")
    assert v.page.evaluate("sessionStorage.length") == 0
    assert not any("kdp_" in url for url in v.recorder.requests)  # never in a URL


def test_an_administrator_issues_lists_and_revokes_a_key(visit: Visitor) -> None:
    v = visit()
    page = v.page
    v.sign_in("admin")
    v.open("#/keys")
    form = page.get_by_role("region", name="Buat kunci")
    form.get_by_label("Nama").fill("Bank Kaltim kredit")
    form.get_by_label("Peran").select_option("PARTNER")
    form.get_by_label("Provinsi").fill("64")
    form.get_by_role("button", name="Buat kunci").click()
    token_field = page.get_by_label("Token", exact=True)
    expect(token_field).to_have_value(re.compile(r"^kdp_\w+_\S+$"))
    token = token_field.input_value()
    expect(page.get_by_text("token tidak akan ditampilkan lagi")).to_be_visible()
    v.shoot("keys-token")
    viewer = v.server.graphql("{ viewer { role provinceCode keyName } }", token=token)
    assert viewer["viewer"] == {
        "role": "PARTNER",
        "provinceCode": "64",
        "keyName": "Bank Kaltim kredit",
    }

    page.get_by_role("button", name="Sudah saya simpan").click()
    expect(token_field).to_have_count(0)
    assert token not in page.content()  # shown once, then gone from the page
    keys = page.get_by_role("table", name="Kunci API")
    row = keys.get_by_role("row", name=re.compile("Bank Kaltim kredit"))
    expect(row).to_contain_text("Aktif")
    expect(row).to_contain_text("64")
    expect(keys.get_by_role("row", name=re.compile("^console-admin"))).to_contain_text("kunci Anda")

    row.get_by_role("button", name="Cabut kunci Bank Kaltim kredit").click()
    page.get_by_role("button", name="Ya, cabut kunci Bank Kaltim kredit").click()
    expect(row).to_have_count(0)  # revoked keys are listed on request
    page.get_by_label("Tampilkan kunci yang dicabut").check()
    expect(keys.get_by_role("row", name=re.compile("Bank Kaltim kredit"))).to_contain_text(
        "Dicabut"
    )
    import httpx

    refused = httpx.post(
        f"{v.server.base}/graphql",
        json={"query": "{ viewer { role } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 401


def test_the_console_works_with_the_keyboard_alone(visit: Visitor) -> None:
    v = visit()
    page = v.page
    v.open()

    def focused() -> dict[str, Any]:
        state: dict[str, Any] = page.evaluate(
            """() => { const e = document.activeElement; const s = getComputedStyle(e);
                 return { tag: e.tagName, text: (e.innerText || e.value || '').trim(),
                          label: e.getAttribute('aria-label') || '', id: e.id,
                          outline: s.outlineStyle, width: parseFloat(s.outlineWidth) }; }"""
        )
        return state

    def tab_to(
        match: Callable[[dict[str, Any]], bool], key: str = "Tab", limit: int = 60
    ) -> dict[str, Any]:
        for _ in range(limit):
            page.keyboard.press(key)
            now = focused()
            # Every control reached by the keyboard shows where the focus is.
            assert now["outline"] != "none", now
            assert now["width"] >= 2, now
            if match(now):
                return now
        raise AssertionError("never reached by Tab")

    skip = tab_to(lambda f: True)
    assert skip["text"] == "Lewati ke isi halaman"
    page.keyboard.press("Enter")
    assert focused()["id"] == "main"

    tab_to(lambda f: f["text"] == "Masuk", "Shift+Tab")  # back into the header
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Masuk")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    tab_to(lambda f: f["id"] == "api-key")
    page.keyboard.type(v.server.tokens["operations"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("banner")).to_contain_text("console-operations")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Cakupan nasional")
    expect(heading).to_be_focused()  # a new view takes the focus to its heading

    tab_to(lambda f: f["text"] == "Impor", "Shift+Tab")
    page.keyboard.press("Enter")
    expect(heading).to_have_text("Impor")
    expect(heading).to_be_focused()
    tab_to(lambda f: f["id"] == "edition-label")
    page.keyboard.type("2030")
    assert page.get_by_label("Label edisi").input_value() == "2030"

    tab_to(lambda f: f["id"] == "language", "Shift+Tab")
    page.keyboard.press("ArrowDown")  # English
    expect(page.get_by_role("heading", level=1)).to_have_text("Imports")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    tab_to(lambda f: f["text"] == "Coverage", "Shift+Tab")
    page.keyboard.press("Enter")
    expect(heading).to_have_text("National coverage")
    expect(heading).to_be_focused()
    # The heading takes the focus at once; the sort buttons come with the provinces table,
    # once the view's query has answered. Tabbing on before that runs off the page (a loaded
    # server answers late): wait for the table as a reader would.
    expect(page.get_by_role("table", name=re.compile(r"^\d+ provinces"))).to_be_visible()
    sort = tab_to(lambda f: f["text"].startswith("Coverage") and f["tag"] == "BUTTON")
    assert sort["tag"] == "BUTTON"
    page.keyboard.press("Enter")
    expect(page.locator("th[aria-sort=descending]")).to_have_count(1)
    v.shoot("coverage-english")


def test_every_page_fits_a_360_px_phone_and_labels_every_control(visit: Visitor) -> None:
    v = visit(width=360, height=740)
    v.sign_in("admin")
    for fragment in PAGES:
        v.open(fragment)
        v.page.wait_for_load_state("networkidle")
        width = v.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{fragment or '#/'} is {width} px wide"
        assert v.page.evaluate(UNLABELLED) == [], fragment
        if fragment in ("", "#/imports"):
            v.shoot(f"phone-{fragment.strip('#/') or 'coverage'}")


def test_the_console_loads_nothing_from_another_host(visit: Visitor) -> None:
    v = visit()
    response = v.page.goto(v.server.console)
    policy = response.headers["content-security-policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"):
        assert directive in policy
    v.sign_in("admin")
    for fragment in PAGES:
        v.open(fragment)
        v.page.wait_for_load_state("networkidle")
    urls = set(v.recorder.requests)
    assert f"{v.server.base}/console/vendor/preact.mjs" in urls
    assert f"{v.server.base}/graphql" in urls
    assert v.recorder.foreign() == [], v.recorder.foreign()


def _imports_of_an_operator(visit: Visitor) -> Visit:
    v = visit()
    v.sign_in("operations")
    v.open("#/imports")
    return v


def _preview(region: Any, outcome: str = "Berhasil") -> Any:
    """Start the dry run of what the form holds; the panel of its job, once it has ended."""
    region.get_by_role("button", name="Pratinjau (uji coba)").click()
    panel = region.get_by_role("region", name="Pratinjau", exact=True)
    expect(panel.get_by_text(outcome, exact=True)).to_be_visible(timeout=60_000)
    return panel


def test_an_operator_previews_the_2022_kaltim_edition_imports_it_and_watches_it_finish(
    visit: Visitor,
) -> None:
    v = _imports_of_an_operator(visit)
    page = v.page

    # A registry snapshot, the same way: a cooperative in a village the Kaltim edition lacks.
    registry = page.get_by_role("region", name="Snapshot registri koperasi")
    registry.get_by_label("Berkas registri").set_input_files(ACEH_REGISTRY)
    preview = _preview(registry)
    expect(preview).to_contain_text("Dibuat")
    registry.get_by_role("button", name="Jalankan impor").click()
    imported = registry.get_by_role("region", name="Impor", exact=True)
    expect(imported.get_by_text("Berhasil", exact=True)).to_be_visible(timeout=60_000)
    expect(imported).to_contain_text("1 created")

    villages = page.get_by_role("region", name="Edisi daftar wilayah resmi")
    villages.get_by_label("Berkas edisi").set_input_files(KALTIM_2022)
    villages.get_by_label("Label edisi").fill("2022")
    villages.get_by_label("Nomor keputusan").fill("Kepmendagri 100.1.1-6117/2022")
    villages.get_by_label("Tanggal penetapan").fill("2022-11-09")
    preview = _preview(villages)
    per_level = preview.get_by_role("table", name="Perubahan per tingkat")
    expect(per_level.get_by_role("row", name=starting("Desa/kelurahan"))).to_contain_text("13")
    renamed = preview.get_by_role("table", name="Wilayah yang berganti nama")
    expect(renamed.locator("tbody tr")).to_have_count(25)
    siring = renamed.get_by_role("row", name=re.compile("64.72.05.1004"))
    expect(siring).to_contain_text("Sungai Siring Pelita")
    expect(siring).to_contain_text("Sungai Siring")
    at_risk = preview.get_by_role("table", name=re.compile("ditandai untuk diputuskan"))
    expect(at_risk).to_contain_text(ACEH_VILLAGE)
    expect(
        villages.get_by_text(re.compile("Edisi ini mempensiunkan .* desa/kelurahan"))
    ).to_be_visible()
    v.shoot("imports-preview", villages)

    run = villages.get_by_role("button", name="Jalankan impor")
    expect(run).to_be_disabled()  # it retires most of the country: confirm first
    villages.get_by_label("Saya sudah memeriksa pratinjau dan tetap ingin mengimpor.").check()
    run.click()
    imported = villages.get_by_role("region", name="Impor", exact=True)
    expect(imported.get_by_role("status")).to_be_visible()
    expect(imported.get_by_text("Berhasil", exact=True)).to_be_visible(timeout=120_000)
    expect(imported).to_contain_text("edition 2022 imported")

    # It watched the job live: a websocket to this server, frames of the subscription.
    assert any(url.endswith("/graphql") and url.startswith("ws://") for url in v.recorder.sockets)
    assert any('"type":"next"' in frame.replace(" ", "") for frame in v.recorder.frames)
    after = v.server.graphql(
        '{ region(code: "64.72.05.1004") { name } editions { label isCurrent } }'
    )
    assert after["region"]["name"] == "Sungai Siring"
    assert {"label": "2022", "isCurrent": True} in after["editions"]

    # The list of villages waiting for a decision is read again once the import has ended.
    waiting = page.get_by_role("region", name="Desa pensiun yang masih memiliki koperasi")
    expect(waiting.get_by_role("link", name=ACEH_VILLAGE)).to_be_visible()
    v.shoot("imports-done", imported)
    v.shoot("imports-waiting", waiting)


def test_row_errors_show_as_a_table_and_download_as_csv(visit: Visitor) -> None:
    v = _imports_of_an_operator(visit)
    page = v.page
    villages = page.get_by_role("region", name="Edisi daftar wilayah resmi")
    villages.get_by_label("Berkas edisi").set_input_files(BAD_VILLAGES)
    villages.get_by_label("Label edisi").fill("bad")
    panel = _preview(villages, "Gagal")
    errors = panel.get_by_role("table", name="Galat per baris")
    row = errors.get_by_role("row", name=re.compile("bad_code"))
    expect(row).to_contain_text("64.72.5")
    expect(villages.get_by_role("button", name="Jalankan impor")).to_have_count(0)
    with page.expect_download() as download:
        panel.get_by_role("button", name="Unduh galat (CSV)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    assert set(rows[0]) == {"file", "line", "field", "value", "code", "message"}
    assert {(r["line"], r["code"], r["value"]) for r in rows} >= {("6", "bad_code", "64.72.5")}
    # A value a spreadsheet would run as a formula is written as text.
    defused = page.evaluate(
        """async () => (await import("./js/pages/job_view.js")).toCsv(
             [{ value: '=HYPERLINK("x")', message: 'say "hi"' }], ["value", "message"])"""
    )
    assert defused == 'value,message\r\n"\'=HYPERLINK(""x"")","say ""hi"""\r\n'
    v.shoot("imports-errors", panel)


def test_the_jobs_history_filters_by_kind_status_and_who(visit: Visitor) -> None:
    v = visit()
    page = v.page
    v.sign_in("operations")
    v.open("#/jobs")
    table = page.get_by_role("table", name=re.compile("pekerjaan, terbaru dahulu"))
    expect(table.locator("tbody tr").first).to_be_visible()
    page.get_by_label("Jenis").select_option("villages")
    expect(page).to_have_url(re.compile("kind=villages"))
    expect(table.locator("tbody tr").filter(has_not_text="Daftar wilayah")).to_have_count(0)
    # The bundled list loaded by `kopdes demo kaltim` was asked for by "system".
    page.get_by_label("Diminta oleh").fill("system")
    page.get_by_role("button", name="Terapkan").click()
    expect(page).to_have_url(re.compile("who=system"))
    count = v.server.graphql(
        '{ importJobs(kind: villages, requestedBy: "system") { totalCount } }',
        token=v.server.tokens["operations"],
    )["importJobs"]["totalCount"]
    assert count >= 1
    expect(table).to_have_accessible_name(re.compile(f"^{count} dari {count} pekerjaan"))
    expect(table.locator("tbody tr").filter(has_not_text="system")).to_have_count(0)
    page.get_by_label("Status").select_option("failed")
    expect(page).to_have_url(re.compile("status=failed"))
    expect(page.get_by_text("Tidak ada pekerjaan yang cocok.")).to_be_visible()
    page.get_by_label("Status").select_option("succeeded")
    v.shoot("jobs")

    table.get_by_role("row", name=re.compile("edition 2025 imported")).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Pekerjaan #\d+$"))
    main = page.get_by_role("main")
    expect(main).to_contain_text("Percobaan")
    per_level = main.get_by_role("table", name="Perubahan per tingkat")
    expect(per_level.get_by_role("row", name=starting("Provinsi"))).to_contain_text("38")
    added = main.get_by_role("table", name="Wilayah yang ditambahkan", include_hidden=True)
    expect(added).to_contain_text("Aceh")
    v.shoot("job")


def test_progress_falls_back_to_polling_when_websockets_are_refused(visit: Visitor) -> None:
    v = visit()
    page = v.page
    # A proxy that drops websocket upgrades: every socket the page opens is closed at once.
    page.route_web_socket(re.compile(".*"), lambda socket: socket.close())
    v.sign_in("operations")
    v.open("#/imports")  # (after the route is set: not the shared helper)
    recompute = page.get_by_role("region", name="Hitung ulang cakupan")
    recompute.get_by_role("button", name="Hitung ulang sekarang").click()
    panel = recompute.get_by_role("region", name="Perhitungan cakupan")
    expect(panel.get_by_text("Berhasil", exact=True)).to_be_visible(timeout=60_000)
    expect(panel).to_contain_text("diperiksa berkala")


FINDINGS = """{ dataQualityFindings { sharedVillagesCount unplacedRowsCount
  byRegion { code name unplacedRows sharedVillages } } }"""


def test_a_visitor_reads_the_data_quality_findings_per_province_and_regency(
    visit: Visitor, tmp_path: Path
) -> None:
    from shared.audit import Actor
    from shared.db import get_database
    from shared.models import JobStatus
    from shared.registry.service import import_now

    # A second cooperative claims Rawa Makmur; a summary names a place that is nowhere.
    db, actor = get_database(), Actor(name="cli:findings")
    shared = tmp_path / "shared.csv"
    shared.write_text(
        "registry_id,name,village_codes,scheme,stage\n"
        "F-1,Koperasi Rawa Makmur Satu,64.72.01.1001,new,legal_entity\n",
        encoding="utf-8",
    )
    summary = tmp_path / "summary.csv"
    summary.write_text(
        "province_id,province,district_id,district,cooperatives\n"
        "23,KALIMANTAN TIMUR,356,KOTA SAMARINDA,59\n"
        "23,KALIMANTAN TIMUR,9001,Fukuoka,1\n",
        encoding="utf-8",
    )
    for job in (
        import_now(db, shared, actor=actor),
        import_now(db, summary, actor=actor, source="console-test", allow_low_match=True),
    ):
        assert job.status == JobStatus.succeeded, job.errors

    v = visit()
    answer = v.server.graphql(FINDINGS)["dataQualityFindings"]
    assert answer["sharedVillagesCount"] >= 1
    assert answer["unplacedRowsCount"] >= 1
    v.open("#/findings")
    page, main = v.page, v.page.get_by_role("main")
    expect(page.get_by_role("heading", level=1)).to_have_text("Temuan kualitas data")
    facts = main.locator("dl.facts")
    expect(
        facts.locator("div").filter(has_text="Desa yang diklaim dua kali atau lebih")
    ).to_contain_text(id_number(answer["sharedVillagesCount"]))
    provinces = main.get_by_role("table", name="Temuan per provinsi")
    expect(provinces.locator("tbody tr")).to_have_count(len(answer["byRegion"]))
    # Names as the current edition spells them (the import journey may have changed them).
    mine = next(r for r in answer["byRegion"] if r["code"] == "64")
    kaltim = provinces.get_by_role("row", name=re.compile(re.escape(mine["name"])))
    expect(kaltim.locator("td")).to_have_text(
        [re.compile(re.escape(mine["name"])), id_number(mine["sharedVillages"]),
         re.compile(r"\d"), id_number(mine["unplacedRows"]), re.compile(r"\d")]
    )  # fmt: skip
    v.shoot("findings")

    kaltim.get_by_role("link", name=mine["name"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Temuan kualitas data di 64")
    regencies = main.get_by_role("table", name="Temuan per kabupaten dan kota")
    expect(regencies.get_by_role("row", name=re.compile("Samarinda", re.I))).to_be_visible()
    villages = main.get_by_role("table", name="Desa yang diklaim beberapa koperasi")
    row = villages.get_by_role("row", name=re.compile("Rawa Makmur"))
    expect(row).to_contain_text("Koperasi Kelurahan Merah Putih Rawa Makmur (KMP-6472011001)")
    expect(row).to_contain_text("Koperasi Rawa Makmur Satu (F-1)")
    unplaced = main.get_by_role("table", name="Baris registri yang wilayahnya tidak ditemukan")
    fukuoka = unplaced.get_by_role("row", name=re.compile("Fukuoka"))
    expect(fukuoka).to_contain_text("tidak ada dalam daftar resmi")
    expect(fukuoka).to_contain_text("console-test, baris 3")
    # The village itself counts as covered once.
    village = v.server.graphql(
        '{ region(code: "64.72.01.1001") { coverage { coveredVillages cooperatives } } }'
    )["region"]["coverage"]
    assert village == {"coveredVillages": 1, "cooperatives": 2}
