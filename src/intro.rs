//! The editor's note: a Markdown file for the next edition (`intro.md`
//! beside the config file, `digest.intro_file`, or `--intro FILE`), read and
//! reduced to safe text, and moved aside under the edition's id once that
//! edition is delivered, so the next edition does not repeat it.

use std::path::{Path, PathBuf};

use crate::markdown::{self, Reduced};

/// The longest note: a few paragraphs, well inside Gmail's clipping size.
pub const MAX_BYTES: usize = 16 * 1024;

/// A note that cannot be used, naming its file.
#[derive(Debug, thiserror::Error)]
pub enum IntroError {
    #[error("cannot read the editor's note `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the editor's note `{}` is not UTF-8 text (byte {at}): save it as UTF-8", path.display())]
    NotUtf8 { path: PathBuf, at: usize },
    #[error("the editor's note `{}` is {bytes} bytes; at most {MAX_BYTES} fit in a digest", path.display())]
    TooLong { path: PathBuf, bytes: usize },
    #[error("cannot move the editor's note `{}` aside to `{}`", from.display(), to.display())]
    Move {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A note as read: its file, its Markdown and what the digest shows.
#[derive(Debug, Clone)]
pub struct Intro {
    pub path: PathBuf,
    pub markdown: String,
    pub reduced: Reduced,
}

/// Reads the note at `path`. A missing file is no note when `required` is
/// false (the default file), an error when it is true (`--intro FILE`). A
/// file with only whitespace is no note.
pub fn read(path: &Path, required: bool) -> Result<Option<Intro>, IntroError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(None),
        Err(source) => {
            return Err(IntroError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    if bytes.len() > MAX_BYTES {
        return Err(IntroError::TooLong {
            path: path.to_owned(),
            bytes: bytes.len(),
        });
    }
    let markdown = String::from_utf8(bytes).map_err(|e| IntroError::NotUtf8 {
        path: path.to_owned(),
        at: e.utf8_error().valid_up_to() + 1,
    })?;
    let markdown = markdown.trim_start_matches('\u{feff}').to_owned();
    let reduced = markdown::reduce(&markdown);
    if reduced.is_empty() {
        return Ok(None);
    }
    Ok(Some(Intro {
        path: path.to_owned(),
        markdown,
        reduced,
    }))
}

/// Where a note goes once its edition is delivered: `intro.md` →
/// `intro.<edition id>.md`, beside it.
pub fn aside_path(path: &Path, edition_id: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "intro".into());
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{edition_id}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{edition_id}"),
    };
    path.with_file_name(name)
}

/// Moves the note aside after its edition was delivered, if it is still
/// there and still says what was sent (an editor may already have written
/// the next one). Returns where it went.
pub fn move_aside(
    path: &Path,
    markdown: &str,
    edition_id: &str,
) -> Result<Option<PathBuf>, IntroError> {
    match std::fs::read(path) {
        Ok(now) if String::from_utf8_lossy(&now).trim_start_matches('\u{feff}') == markdown => {}
        _ => return Ok(None),
    }
    let to = aside_path(path, edition_id);
    std::fs::rename(path, &to).map_err(|source| IntroError::Move {
        from: path.to_owned(),
        to: to.clone(),
        source,
    })?;
    Ok(Some(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aside_names_carry_the_edition() {
        assert_eq!(
            aside_path(
                Path::new("/s/_postbode/intro.md"),
                "20261115T230000Z--20261122T230000Z"
            ),
            Path::new("/s/_postbode/intro.20261115T230000Z--20261122T230000Z.md")
        );
        assert_eq!(aside_path(Path::new("note"), "x"), Path::new("note.x"));
    }
}
