//! `--format html`: the page's JSON blob parses and agrees with the run's checker, the page
//! loads nothing from the network, and (with Debian's `chromium`) it runs in a real headless
//! browser without a script error and shows a different state after stepping.

use super::svg::export_to_file;
use std::path::{Path, PathBuf};
use std::process::Command;

const K02: &[&str] = &[
    "scenarios/kafka/k02-acks1-leader-crash.ron",
    "--format",
    "html",
    "--from-ms",
    "10000",
    "--to-ms",
    "10600",
    "--limit",
    "300",
];

fn k02_page() -> (String, serde_json::Value) {
    let (code, err, page) = export_to_file(K02, "html");
    assert_eq!(code, 0, "{err}");
    let blob = msgsim::export::html::read_blob(&page).expect("the data blob parses as JSON");
    (page, blob)
}

/// `p0 offsets A..B` in an anomaly example.
fn example_range(text: &str) -> Option<(i64, i64)> {
    let rest = &text[text.find("offsets ")? + 8..];
    let (a, rest) = rest.split_once("..")?;
    let b: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((a.parse().ok()?, b.parse().ok()?))
}

#[test]
fn html_blob_parses_and_its_truncation_covers_the_lost_writes() {
    let (page, blob) = k02_page();
    assert_eq!(blob["format"], "msgsim-html/1");
    let steps = blob["steps"].as_array().unwrap();
    assert!(
        !steps.is_empty() && steps.len() <= 300,
        "{} steps",
        steps.len()
    );
    assert!(
        blob["cap"].is_string(),
        "a capped window says so in the page"
    );
    // Self-contained: no external script, stylesheet, image or font.
    for bad in [
        "<script src",
        "<link",
        "<img",
        "url(http",
        "url(//",
        "@import",
        "https://",
    ] {
        assert!(
            !page.contains(bad),
            "the page must not load anything: found {bad}"
        );
    }
    // The lost writes the checker names lie in a range the page shows truncated.
    let lost = blob["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["anomaly"] == "lost_write")
        .expect("k02 loses acknowledged writes");
    let (lo, hi) = lost["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| example_range(e.as_str()?))
        .expect("the example names offsets");
    let truncs = blob["truncations"].as_array().unwrap();
    assert!(
        truncs
            .iter()
            .any(|t| t["from"].as_i64().unwrap() <= lo && t["to"].as_i64().unwrap() > hi),
        "a truncation covers offsets {lo}..{hi}: {truncs:?}"
    );
    // Each replica's LEO series is drawn, and the state changes along the steps.
    assert!(blob["replicas"].as_array().unwrap().len() >= 3);
    assert!(
        steps
            .iter()
            .any(|s| !s["set"].as_array().unwrap().is_empty())
    );
    assert!(
        !blob["lag"].as_array().unwrap().is_empty(),
        "the consumer's lag"
    );
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n)))
        .find(|p| p.is_file())
}

/// The DOM after the page's script ran, opened at `#step=N`.
fn dump_dom(browser: &Path, page: &Path, step: usize, profile: &Path) -> String {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &format!("file://{}#step={step}", page.display()),
        ])
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of the element opened by `open` (up to its closing `close`), tags removed.
fn element_text(dom: &str, open: &str, close: &str) -> String {
    let start = dom
        .find(open)
        .unwrap_or_else(|| panic!("{open} in the DOM"));
    let body = &dom[start..];
    let end = body.find(close).unwrap_or(body.len());
    let mut text = String::new();
    let mut in_tag = false;
    for c in body[..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_once('>')
        .map_or(text.clone(), |(_, t)| t.to_string())
}

#[test]
fn html_runs_in_headless_chromium_and_stepping_changes_the_state() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var("MSGSIM_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "MSGSIM_REQUIRE_CHROMIUM=1 but no chromium on PATH (apt-get install -y chromium)"
        );
        eprintln!("skip: no chromium on PATH (apt-get install -y chromium)");
        return;
    };
    let (page, blob) = k02_page();
    let steps = blob["steps"].as_array().unwrap().len();
    let dir = std::env::temp_dir().join(format!("msgsim-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("k02.html");
    std::fs::write(&file, &page).unwrap();
    let profile = dir.join("profile");
    let step = steps - 1;
    let first = dump_dom(&browser, &file, 0, &profile);
    let later = dump_dom(&browser, &file, step, &profile);
    for (dom, at) in [(&first, 0), (&later, step)] {
        let errors = element_text(dom, "<pre id=\"errors\"", "</pre>");
        assert!(errors.trim().is_empty(), "script errors: {errors}");
        assert!(
            dom.contains(&format!("data-ready=\"1\" data-step=\"{at}\"")),
            "the page ran to the end and shows step {at}"
        );
    }
    let state0 = element_text(&first, "<table id=\"state\"", "</table>");
    let state_n = element_text(&later, "<table id=\"state\"", "</table>");
    assert!(
        state0.contains("LEO"),
        "the replicas' LEO is shown: {state0}"
    );
    assert_ne!(
        state0, state_n,
        "step {step} shows another state than step 0"
    );
    assert!(later.contains("class=\"truncation\""), "truncations drawn");
    // Screenshot for the docs only when asked, so tests leave the tree clean.
    if let Ok(target) = std::env::var("MSGSIM_WRITE_SCREENSHOTS") {
        let png = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(target)
            .join("html-k02.png");
        let out = Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1400,1600",
                &format!("--user-data-dir={}", profile.display()),
                &format!("--screenshot={}", png.display()),
                &format!("file://{}#step=120", file.display()),
            ])
            .output()
            .unwrap();
        assert!(out.status.success() && png.is_file(), "screenshot written");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
