//! The workshop track (`docs/workshop/`): every command a chapter quotes runs with the exit
//! it promises (`# exit N`, else 0), and every picture a chapter commits is exactly what its
//! command writes today (`MSGSIM_UPDATE_WORKSHOP=1` rewrites them instead of failing).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `msgsim ...` lines of a chapter's ```sh blocks, with the exit each promises.
fn commands(text: &str) -> Vec<(Vec<String>, i32)> {
    let mut out = Vec::new();
    let mut in_sh = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_sh = !in_sh && t == "```sh";
            continue;
        }
        if !in_sh || !t.starts_with("msgsim ") {
            continue;
        }
        let (cmd, comment) = t.split_once(" #").unwrap_or((t, ""));
        let exit = comment
            .trim()
            .strip_prefix("exit ")
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        let args = cmd.split_whitespace().skip(1).map(str::to_string).collect();
        out.push((args, exit));
    }
    out
}

/// Run one chapter's commands; pictures under docs/workshop/img/ go to `scratch` and are
/// compared with the committed file. Returns the problems found.
fn run_chapter(chapter: &Path, scratch: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(chapter).unwrap();
    let name = chapter.file_name().unwrap().to_string_lossy().into_owned();
    let mut problems = Vec::new();
    let cmds = commands(&text);
    if cmds.is_empty() {
        problems.push(format!("{name}: no msgsim command"));
    }
    if !text.contains("## Exercises") || text.matches("<details>").count() < 2 {
        problems.push(format!(
            "{name}: needs an Exercises section with 2–3 answers"
        ));
    }
    let mut pictures: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (args, exit) in cmds {
        let mut real = Vec::new();
        let mut prev_o = false;
        for a in &args {
            let mut arg = a.clone();
            if let Some(rest) = a.strip_prefix("/tmp/") {
                arg = scratch.join(rest).display().to_string();
            } else if prev_o && a.starts_with("docs/workshop/img/") {
                let out = scratch.join(format!("img-{}", a.replace('/', "_")));
                pictures.push((root().join(a), out.clone()));
                arg = out.display().to_string();
            }
            prev_o = a == "-o";
            real.push(arg);
        }
        let out = Command::new(env!("CARGO_BIN_EXE_msgsim"))
            .args(&real)
            .env_remove("MSGSIM_SEED")
            .current_dir(root())
            .output()
            .unwrap();
        if out.status.code() != Some(exit) {
            problems.push(format!(
                "{name}: `msgsim {}` exited {:?}, the chapter promises {exit}: {}",
                args.join(" "),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    for image in text.split("](img/").skip(1) {
        let file = image.split(')').next().unwrap_or("");
        if !root().join("docs/workshop/img").join(file).is_file() {
            problems.push(format!("{name}: img/{file} is not committed"));
        }
    }
    let update = std::env::var("MSGSIM_UPDATE_WORKSHOP").as_deref() == Ok("1");
    for (committed, fresh) in pictures {
        let new = std::fs::read(&fresh).unwrap_or_default();
        if update {
            std::fs::write(&committed, &new).unwrap();
        } else if std::fs::read(&committed).ok() != Some(new) {
            problems.push(format!(
                "{name}: {} differs from what its command writes today \
                 (MSGSIM_UPDATE_WORKSHOP=1 to regenerate)",
                committed.display()
            ));
        }
    }
    problems
}

#[test]
fn workshop_chapters_run_and_their_pictures_are_current() {
    let dir = root().join("docs/workshop");
    let mut chapters: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "md")
                && p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(|c: char| c.is_ascii_digit())
        })
        .collect();
    chapters.sort();
    assert!(chapters.len() >= 8, "at least 8 chapters: {chapters:?}");
    let index = std::fs::read_to_string(root().join("docs/workshop.md")).unwrap();
    for c in &chapters {
        let file = c.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            index.contains(&format!("workshop/{file}")),
            "docs/workshop.md links {file}"
        );
    }
    let scratch = std::env::temp_dir().join(format!("msgsim-workshop-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    // Two workers: the machine has two cores.
    let halves: Vec<Vec<PathBuf>> = vec![
        chapters.iter().step_by(2).cloned().collect(),
        chapters.iter().skip(1).step_by(2).cloned().collect(),
    ];
    let problems: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = halves
            .iter()
            .map(|half| {
                let scratch = &scratch;
                s.spawn(move || {
                    half.iter()
                        .flat_map(|c| run_chapter(c, scratch))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
