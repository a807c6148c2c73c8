//! `--format html` (placeholder).
use super::scene::Picture;
pub fn render(_p: &Picture<'_>) -> String {
    String::new()
}
