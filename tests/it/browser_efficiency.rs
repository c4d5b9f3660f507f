//! The screen's second page in a real headless Chromium (docs/api.md,
//! Health, metrics, the screen): a sale with traffic, spend, regions and
//! campaigns; the efficiency panels and the tile map show what
//! `/api/v1/summary`, `/channels`, `/campaigns` and `/regions` say (ratios
//! as frames round them), no tile overlaps another and no name is cut, in
//! Chinese and English and for one channel; the wall rotates between the
//! pages. Screenshots land in `target/screen-efficiency*.png`.

use serde_json::{Value, json};

use crate::cdp::{Browser, chromium};
use crate::support::{MIN, SALE_TOML, START, TestApp, spawn_app};

/// The test sale with a budget for the sale, tmall and one campaign.
fn config() -> warroom::config::Config {
    let toml = SALE_TOML
        .replacen("plan = [[0.0", "budget = \"60000\"\nplan = [[0.0", 1)
        .replacen(
            "target = \"600000\"",
            "target = \"600000\"\nbudget = \"30000\"",
            1,
        )
        + "\n[[campaigns]]\nid = \"直通车\"\nchannel = \"tmall\"\nbudget = \"20000\"\n";
    warroom::config::parse_str(&toml, "test.toml", std::path::Path::new("."))
        .expect("the test config with budgets is valid")
}

const REGIONS: [&str; 10] = [
    "31",
    "上海",
    "44",
    "Guangdong",
    "11",
    "51",
    "内蒙古",
    "黑龙江",
    "US",
    "新加坡",
];

/// Traffic, spend and orders with regions and campaigns, all in the sale's
/// first hour.
fn events() -> String {
    let ts = |i: usize| START + 60 * MIN - (i as i64 % 600) * 1000;
    let mut lines = vec![
        format!(
            r#"{{"type":"traffic","id":"tr-1","ts":{},"store":"s1","visitors":5000,"page_views":20000}}"#,
            ts(1)
        ),
        format!(
            r#"{{"type":"traffic","id":"tr-2","ts":{},"channel":"jd","visitors":3000}}"#,
            ts(2)
        ),
        format!(
            r#"{{"type":"traffic","id":"tr-3","ts":{},"store":"s2","visitors":1000,"page_views":4000}}"#,
            ts(3)
        ),
        format!(
            r#"{{"type":"spend","id":"ad-1","ts":{},"channel":"tmall","campaign":"直通车","amount":"12000.00"}}"#,
            ts(4)
        ),
        format!(
            r#"{{"type":"spend","id":"ad-2","ts":{},"channel":"tmall","campaign":"钻展","amount":"3000.00"}}"#,
            ts(5)
        ),
        format!(
            r#"{{"type":"spend","id":"ad-3","ts":{},"channel":"jd","campaign":"京东快车","amount":"9000.50"}}"#,
            ts(6)
        ),
    ];
    for i in 0..300 {
        let store = ["s1", "s2", "s1", "s9"][i % 4];
        let campaign = match store {
            "s1" if i % 3 == 0 => r#","campaign":"直通车""#,
            "s1" if i % 3 == 1 => r#","campaign":"钻展""#,
            "s2" => r#","campaign":"京东快车""#,
            _ => "",
        };
        lines.push(format!(
            r#"{{"type":"order","id":"o{i}","ts":{},"store":"{store}","buyer":"u{}","region":"{}"{campaign},"items":[{{"sku":"k{}","qty":{},"price":"{}.{:02}"}}]}}"#,
            ts(i),
            i % 170,
            REGIONS[(i * i + i / 7) % REGIONS.len()],
            1 + i % 2,
            1 + i % 3,
            50 + i * 37 % 900,
            i % 100
        ));
    }
    lines.join("\n")
}

/// A ratio as live frames carry it (4 significant digits), or null.
fn framed(v: &Value) -> Value {
    v.as_f64()
        .map_or(Value::Null, |x| json!(warroom::views::round_ratio(x)))
}

/// Every number as a float: the page's `0` and the API's `0.0` are one value.
fn floats(v: Value) -> Value {
    match v {
        Value::Number(n) => n.as_f64().map_or(Value::Null, |x| json!(x)),
        Value::Array(a) => Value::Array(a.into_iter().map(floats).collect()),
        other => other,
    }
}

/// `data-value` of an element read back as a number (null when empty).
fn value_of(selector: &str) -> String {
    format!(
        "(() => {{ const e = document.querySelector({selector:?}); if (!e) return 'missing'; \
           const v = e.dataset.value; return v === '' ? null : Number(v); }})()"
    )
}

async fn wait_for_value(b: &mut Browser, selector: &str, want: &Value, what: &str) {
    let expr = format!(
        "JSON.stringify({}) === {:?}",
        value_of(selector),
        want.to_string()
    );
    b.wait_for(&expr, 20, what).await;
}

/// Problems with the page's geometry: tiles that overlap, labels outside
/// their tile, names cut in the tables and lists, page-2 cards off the
/// 1920×1080 screen. Empty when all is well.
const GEOMETRY: &str = r#"(() => {
  const bad = [];
  const tiles = [...document.querySelectorAll('#tilemap g.tile')];
  if (tiles.length !== 34) bad.push(`tiles: ${tiles.length}`);
  const boxes = tiles.map((g) => [g.dataset.code, g.querySelector('rect').getBoundingClientRect()]);
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, r] = boxes[i], [b, s] = boxes[j];
    const w = Math.min(r.right, s.right) - Math.max(r.left, s.left);
    const h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
    if (w > 0.5 && h > 0.5) bad.push(`tiles ${a} and ${b} overlap`);
  }
  for (const [i, g] of tiles.entries()) {
    const r = boxes[i][1];
    for (const t of g.querySelectorAll('text')) {
      const q = t.getBoundingClientRect();
      if (q.width === 0) bad.push(`${g.dataset.code}: an empty label`);
      if (q.left < r.left - 0.5 || q.right > r.right + 0.5 || q.top < r.top - 0.5 || q.bottom > r.bottom + 0.5)
        bad.push(`${g.dataset.code}: "${t.textContent}" leaves its tile`);
    }
  }
  const cut = (sel) => { for (const e of document.querySelectorAll(sel)) if (e.scrollWidth > e.clientWidth + 1) bad.push(`cut: ${e.textContent}`); };
  cut('#eff-channels td'); cut('#campaigns td'); cut('#regions .name'); cut('#regions .v');
  // A short name (a channel's, a campaign's, a region's) on one line: never split in two.
  for (const e of document.querySelectorAll('#eff-channels .f-name, #campaigns .f-name, #campaigns .f-channel, #regions .name')) {
    const text = e.firstChild;
    if (!text || text.nodeType !== 3 || text.textContent.length > 8) continue;
    const range = document.createRange();
    range.selectNodeContents(text);
    const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    if (tops.size > 1) bad.push(`split over ${tops.size} lines: ${text.textContent}`);
  }
  for (const c of document.querySelectorAll('#page-efficiency .card')) {
    const r = c.getBoundingClientRect();
    if (r.width === 0 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5) bad.push(`card off screen: ${c.className}`);
  }
  return bad;
})()"#;

/// The page-2 figures equal the API's for a scope: `totals` (the summary's
/// or a channel row), the campaigns shown and the regions.
async fn assert_page_matches(b: &mut Browser, app: &TestApp, scope: &str, totals: &Value) {
    wait_for_value(b, "#spend", &totals["spend"], "the spend figure").await;
    for (id, field) in [
        ("#visitors", "visitors"),
        ("#conversion", "conversion"),
        ("#roi", "roi"),
        ("#cost-to-sales", "cost_to_sales"),
    ] {
        let want = if field == "visitors" {
            totals[field].clone()
        } else {
            framed(&totals[field])
        };
        let shown = b.eval(&value_of(id)).await;
        assert_eq!(floats(shown), floats(want), "{scope}: {field} on the page");
    }
    if !totals["budget"].is_null() {
        let shown = b.eval(&value_of("#budget-used")).await;
        assert_eq!(
            shown,
            framed(&totals["budget_used"]),
            "{scope}: budget used"
        );
        let plan = b.eval(&value_of("#budget-plan")).await;
        assert_eq!(
            floats(plan),
            floats(framed(&totals["budget_plan"])),
            "{scope}: budget plan"
        );
        let bar = b
            .eval("!document.getElementById('burn-mark').hidden && document.getElementById('burn-mark').style.left !== ''")
            .await;
        assert_eq!(bar, json!(true), "{scope}: the plan mark on the burn bar");
    }

    // A channel's view carries that channel's campaigns.
    let channel = scope.strip_prefix("?channel=");
    let campaigns = app.get("/api/v1/campaigns").await;
    let mut rows: Vec<Value> = campaigns["campaigns"]
        .as_array()
        .expect("campaigns")
        .iter()
        .filter(|c| c["spend"].as_i64() > Some(0) || c["gmv"].as_i64() > Some(0))
        .filter(|c| channel.is_none_or(|ch| c["channel"] == ch))
        // A store's view has none: campaigns are counted per channel.
        .filter(|_| !scope.starts_with("?store="))
        .cloned()
        .collect();
    rows.sort_by_key(|c| std::cmp::Reverse(c["spend"].as_i64()));
    rows.truncate(8);
    let shown = b
        .eval("[...document.querySelectorAll('#campaigns tr[data-id]')].map((tr) => tr.dataset.id)")
        .await;
    let ids: Vec<&Value> = rows.iter().map(|c| &c["id"]).collect();
    assert_eq!(shown, json!(ids), "{scope}: the campaigns by spend");
    for c in &rows {
        let cells = b
            .eval(&format!(
                "(() => {{ const tr = [...document.querySelectorAll('#campaigns tr')].find((t) => t.dataset.id === {:?}); \
                   const v = (c) => {{ const d = tr.querySelector('.' + c).dataset.value; return d === '' ? null : Number(d); }}; \
                   return [v('f-spend'), v('f-gmv'), v('f-roi')]; }})()",
                c["id"].as_str().expect("id")
            ))
            .await;
        assert_eq!(
            floats(cells),
            floats(json!([c["spend"], c["gmv"], framed(&c["roi"])])),
            "{scope}: campaign {}",
            c["id"]
        );
    }

    let regions = app.get(&format!("/api/v1/regions{scope}")).await;
    let regions: Vec<Value> = regions["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .filter(|r| r["gmv"].as_i64() > Some(0))
        .cloned()
        .collect();
    assert!(regions.len() >= 6, "{scope}: the orders name regions");
    b.wait_for(
        "document.querySelectorAll('#tilemap g.tile').length === 34",
        10,
        "the tile map",
    )
    .await;
    for r in &regions {
        let id = r["id"].as_str().expect("id");
        let gmv = &r["gmv"];
        let division = warroom::geo::division(id).is_some();
        if division {
            let tile = b
                .eval(&format!(
                    "(() => {{ const g = document.querySelector('#tilemap g.tile[data-code=\"{id}\"]'); \
                       return [g.querySelector('rect').getAttribute('fill'), g.getAttribute('aria-label')]; }})()"
                ))
                .await;
            let money = b.eval(&format!("window.warroom.fmt.money({gmv})")).await;
            let money = money.as_str().expect("money");
            assert_ne!(tile[0], "#131a26", "{scope}: tile {id} is coloured");
            assert!(
                tile[1].as_str().is_some_and(|l| l.contains(money)),
                "{scope}: tile {id}'s hover holds its GMV {money}: {}",
                tile[1]
            );
        }
        let list = if division {
            "#regions"
        } else {
            "#other-regions"
        };
        let row = b
            .eval(&format!(
                "(() => {{ const li = [...document.querySelectorAll('{list} li')].find((l) => l.dataset.id === {id:?}); \
                   return li ? Number(li.dataset.gmv) : null; }})()"
            ))
            .await;
        assert_eq!(&row, gmv, "{scope}: region {id} listed with its GMV");
    }
    // Divisions without sales are empty tiles.
    let empty = b
        .eval("[...document.querySelectorAll('#tilemap g.tile')].filter((g) => g.querySelector('rect').getAttribute('fill') === '#131a26').length")
        .await;
    let on_map = regions
        .iter()
        .filter(|r| warroom::geo::division(r["id"].as_str().unwrap_or("")).is_some())
        .count();
    assert_eq!(empty, json!(34 - on_map), "{scope}: empty tiles");
    let top = regions
        .iter()
        .find(|r| warroom::geo::division(r["id"].as_str().unwrap_or("")).is_some())
        .expect("a division with sales");
    let first = b
        .eval("document.querySelector('#regions li').dataset.id")
        .await;
    assert_eq!(first, top["id"], "{scope}: the top region first");
    // Hovering the top tile shows its figures; the legend's scale ends at its GMV.
    let (hover, legend) = (
        b.eval(&format!(
            "(() => {{ const g = document.querySelector('#tilemap g.tile[data-code={}]'); const r = g.getBoundingClientRect(); \
               g.dispatchEvent(new PointerEvent('pointerenter', {{ clientX: r.x + 5, clientY: r.y + 5 }})); \
               const tip = document.querySelector('#tilemap .tilemap-tip'); \
               return tip.style.display === 'block' ? tip.textContent : null; }})()",
            top["id"]
        ))
        .await,
        b.eval("document.querySelector('#tilemap .tilemap-legend').textContent")
            .await,
    );
    let money = b
        .eval(&format!("window.warroom.fmt.money({})", top["gmv"]))
        .await;
    let money = money.as_str().expect("money");
    assert!(
        hover.as_str().is_some_and(|t| t.contains(money)),
        "{scope}: the hover box of {} holds {money}: {hover}",
        top["id"]
    );
    assert!(
        legend.as_str().is_some_and(|t| t.ends_with(money)),
        "{scope}: the legend ends at {money}: {legend}"
    );

    let bad = b.eval(GEOMETRY).await;
    assert_eq!(bad, json!([]), "{scope}: the page's geometry");
    let errors = b.eval("window.warroom.errors").await;
    assert_eq!(errors, json!([]), "{scope}: no script errors");
}

/// The channel table equals `/api/v1/channels` and marks the lowest ROI.
async fn assert_channels_match(b: &mut Browser, app: &TestApp, worst_label: &str) {
    let channels = app.get("/api/v1/channels").await;
    let channels = channels.as_array().expect("channels");
    let mut worst: Option<(&Value, f64)> = None;
    for c in channels {
        if c["spend"].as_i64() == Some(0) && c["gmv"].as_i64() == Some(0) {
            continue;
        }
        let id = c["id"].as_str().expect("id");
        let cells = b
            .eval(&format!(
                "(() => {{ const tr = [...document.querySelectorAll('#eff-channels tr')].find((t) => t.dataset.id === {id:?}); \
                   if (!tr) return null; \
                   const v = (c) => {{ const d = tr.querySelector('.' + c).dataset.value; return d === '' ? null : Number(d); }}; \
                   return [v('f-gmv'), v('f-spend'), v('f-roi'), v('f-cts'), v('f-conv')]; }})()"
            ))
            .await;
        assert_eq!(
            floats(cells),
            floats(json!([
                c["gmv"],
                c["spend"],
                framed(&c["roi"]),
                framed(&c["cost_to_sales"]),
                framed(&c["conversion"])
            ])),
            "channel {id}"
        );
        if let Some(roi) = c["roi"].as_f64()
            && worst.is_none_or(|(_, w)| roi < w)
        {
            worst = Some((c, roi));
        }
    }
    let (worst, _) = worst.expect("channels with spend");
    let marked = b
        .eval("[...document.querySelectorAll('#eff-channels tr.worst')].map((tr) => [tr.dataset.id, tr.querySelector('.tag').textContent])")
        .await;
    assert_eq!(
        marked,
        json!([[worst["id"], worst_label]]),
        "the lowest ROI labelled"
    );
}

fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_efficiency_page_and_the_map_show_the_api_figures() {
    let Some(chromium) = chromium() else { return };
    let app = spawn_app(config(), START + 61 * MIN).await;
    let reply = app.post_events(events(), "application/x-ndjson").await;
    assert_eq!(reply.status(), 200);
    let summary = app.get("/api/v1/summary").await;
    assert!(summary["totals"]["spend"].as_i64() > Some(0));

    let mut b = Browser::launch(&chromium).await;
    b.open(&format!("{}/?page=2", app.base)).await;
    b.wait_for(
        "document.body.dataset.page === 'efficiency' && document.body.dataset.rotate === '0'",
        10,
        "page 2, pinned",
    )
    .await;
    assert_page_matches(&mut b, &app, "", &summary["totals"]).await;
    assert_channels_match(&mut b, &app, "投产比最低").await;
    // Ticks: more traffic, spend on a new campaign and orders from a new
    // region reach the open page as changed rows, merged onto the snapshot's.
    let more = [
        format!(
            r#"{{"type":"traffic","id":"tr-4","ts":{},"store":"s1","visitors":2500}}"#,
            START + 60 * MIN
        ),
        format!(
            r#"{{"type":"spend","id":"ad-4","ts":{},"channel":"jd","campaign":"京东海投","amount":"30000.00"}}"#,
            START + 60 * MIN
        ),
        format!(
            r#"{{"type":"order","id":"x1","ts":{},"store":"s2","buyer":"x1","region":"新疆","campaign":"京东海投","items":[{{"sku":"k2","qty":2,"price":"4999.00"}}]}}"#,
            START + 60 * MIN
        ),
    ]
    .join("\n");
    assert_eq!(
        app.post_events(more, "application/x-ndjson").await.status(),
        200
    );
    let summary = app.get("/api/v1/summary").await;
    assert_page_matches(&mut b, &app, "", &summary["totals"]).await;
    assert_channels_match(&mut b, &app, "投产比最低").await;
    let label = b
        .eval("document.querySelector('#page-efficiency [data-i18n=cost_to_sales]').textContent")
        .await;
    assert_eq!(label, "费比");
    b.screenshot(&target_dir().join("screen-efficiency.png"))
        .await;

    // English: the same figures, English labels and region names.
    b.open(&format!("{}/?page=2&lang=en", app.base)).await;
    assert_page_matches(&mut b, &app, "", &summary["totals"]).await;
    assert_channels_match(&mut b, &app, "lowest ROI").await;
    let name = b
        .eval("[...document.querySelectorAll('#regions li')].find((l) => l.dataset.id === '31').querySelector('.name').textContent")
        .await;
    assert_eq!(name, "Shanghai");
    let label = b
        .eval("document.querySelector('#page-efficiency [data-i18n=cost_to_sales]').textContent")
        .await;
    assert_eq!(label, "Cost/sales");
    b.screenshot(&target_dir().join("screen-efficiency-en.png"))
        .await;

    // One channel's view: its totals, its regions, its campaigns.
    b.open(&format!("{}/?page=2&channel=tmall", app.base)).await;
    let channels = app.get("/api/v1/channels").await;
    let tmall = channels
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "tmall"))
        .expect("tmall")
        .clone();
    assert_page_matches(&mut b, &app, "?channel=tmall", &tmall).await;
    let channels_shown = b
        .eval("[...document.querySelectorAll('#campaigns tr[data-id]')].every((tr) => tr.querySelector('.f-channel').dataset.value === 'tmall')")
        .await;
    assert_eq!(channels_shown, json!(true), "only tmall's campaigns");
    b.screenshot(&target_dir().join("screen-efficiency-tmall.png"))
        .await;

    // One store's view: its totals and regions, no campaigns (and the page says why).
    b.open(&format!("{}/?page=2&store=s2", app.base)).await;
    let s2 = app.get("/api/v1/stores/s2").await;
    assert_page_matches(&mut b, &app, "?store=s2", &s2).await;
    // Filtered regions carry no buyers: the hover box says nothing of them.
    let label = b
        .eval("document.querySelector('#tilemap g.tile[data-code=\"31\"]').getAttribute('aria-label')")
        .await;
    assert!(
        label
            .as_str()
            .is_some_and(|l| l.contains("订单数") && !l.contains("买家数")),
        "a store's tile without buyers: {label}"
    );
    let why = b
        .eval("document.querySelector('#campaigns .empty').textContent")
        .await;
    assert_eq!(why, "推广活动按渠道统计，门店视图不含");

    // The wall rotates: page 1, page 2, page 1 again, a second each.
    b.open(&format!("{}/?rotate=1", app.base)).await;
    b.wait_for("document.body.dataset.page === 'sales'", 5, "page 1 first")
        .await;
    b.wait_for(
        "document.body.dataset.page === 'efficiency' && document.getElementById('page-sales').hidden",
        5,
        "the turn to page 2",
    )
    .await;
    b.wait_for(
        "document.body.dataset.page === 'sales' && document.getElementById('page-efficiency').hidden",
        5,
        "the turn back",
    )
    .await;
    // A key turns the page by hand and stops the rotation; r starts it again.
    b.eval("document.dispatchEvent(new KeyboardEvent('keydown', { key: '2' }))")
        .await;
    let pinned = b
        .eval("[document.body.dataset.page, document.body.dataset.rotate]")
        .await;
    assert_eq!(pinned, json!(["efficiency", "0"]));
    b.eval("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'r' }))")
        .await;
    b.wait_for(
        "document.body.dataset.rotate === '1' && document.body.dataset.page === 'sales'",
        5,
        "the rotation again",
    )
    .await;
}
