//! The subscriber list (being built).
pub fn check(_path: &std::path::Path) -> Vec<String> {
    Vec::new()
}
