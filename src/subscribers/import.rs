//! Reading new subscribers from a CSV file (`postbode subscribers import`).
//!
//! The first row names the columns, in any case and order: `email`
//! (required), `name`, `categories` and `digests` (several separated by `;`). Spreadsheets
//! set to Dutch or German save with `;` between columns; a header with `;`
//! or tabs and no comma is read that way. Each row is judged on its own, so
//! one bad row costs only itself.

use std::collections::HashMap;

use super::{clean_categories, clean_name, Address};

/// A good row, ready to become a subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The row's line in the file (1-based).
    pub line: u64,
    pub address: Address,
    pub name: Option<String>,
    pub categories: Vec<String>,
    /// Digest names as written (empty: the default digest); whether the
    /// config has them is the caller's to check.
    pub digests: Vec<String>,
}

/// A row that was not taken, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub line: u64,
    pub message: String,
}

/// What a CSV file holds.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub rows: Vec<Row>,
    /// Rows that cannot be imported (bad address, name or category).
    pub bad: Vec<Skipped>,
    /// Addresses that appeared on an earlier row of the same file.
    pub repeated: Vec<Skipped>,
    /// Header names that mean nothing to the import.
    pub ignored_columns: Vec<String>,
}

/// Why a CSV file cannot be imported at all (a bad row only costs itself).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty; expected a header row with an `email` column")]
    Empty,
    #[error("cannot read the header row")]
    Header(#[source] csv::Error),
    #[error("the header row has no `email` column (it has {})", quoted(.0))]
    NoEmailColumn(Vec<String>),
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads CSV data; fails only when the header row is missing or has no
/// `email` column.
pub fn parse(data: &[u8]) -> Result<Rows, ImportError> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(data))
        .from_reader(data);
    let mut record = csv::ByteRecord::new();
    let header = match reader.read_byte_record(&mut record) {
        Ok(true) => record.clone(),
        Ok(false) => return Err(ImportError::Empty),
        Err(e) => return Err(ImportError::Header(e)),
    };
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_lowercase())
        .collect();
    let column = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    let email_col =
        column(&["email", "e-mail"]).ok_or_else(|| ImportError::NoEmailColumn(names.clone()))?;
    let name_col = column(&["name"]);
    let categories_col = column(&["categories", "category"]);
    let digests_col = column(&["digests", "digest"]);
    let mut out = Rows {
        ignored_columns: names
            .iter()
            .enumerate()
            .filter(|&(i, n)| {
                !n.is_empty()
                    && ![Some(email_col), name_col, categories_col, digests_col].contains(&Some(i))
            })
            .map(|(_, n)| n.clone())
            .collect(),
        ..Rows::default()
    };
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut lines = Lines {
        data,
        offset: 0,
        line: 1,
    };
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // The csv reader cannot resync after a broken record.
                let line = e.position().map_or(0, |p| p.line());
                out.bad.push(Skipped {
                    line,
                    message: format!("cannot read this row or the rest of the file: {e}"),
                });
                break;
            }
        }
        let line = lines.line_of(&record);
        if record.iter().all(|f| f.trim_ascii().is_empty()) {
            continue;
        }
        let columns = [Some(email_col), name_col, categories_col, digests_col];
        match row(&record, line, columns) {
            Err(message) => out.bad.push(Skipped { line, message }),
            Ok(row) => match first_line.get(&row.address.key) {
                Some(&first) => out.repeated.push(Skipped {
                    line,
                    message: format!(
                        "`{}` is already on line {first}; skipped",
                        row.address.email
                    ),
                }),
                None => {
                    first_line.insert(row.address.key.clone(), line);
                    out.rows.push(row);
                }
            },
        }
    }
    Ok(out)
}

fn row(
    record: &csv::ByteRecord,
    line: u64,
    [email_col, name_col, categories_col, digests_col]: [Option<usize>; 4],
) -> Result<Row, String> {
    let field = |col: Option<usize>| -> Result<&str, String> {
        let bytes = col.and_then(|c| record.get(c)).unwrap_or_default();
        std::str::from_utf8(bytes).map_err(|_| "this row is not UTF-8 text".to_owned())
    };
    let email = field(email_col)?;
    if email.trim().is_empty() {
        return Err("no address in the `email` column".into());
    }
    let address = Address::parse(email).map_err(|e| e.to_string())?;
    let name = clean_name(field(name_col)?)?;
    let categories: Vec<&str> = field(categories_col)?.split(';').collect();
    let categories = clean_categories(&categories)?;
    let mut digests: Vec<String> = Vec::new();
    for d in field(digests_col)?.split(';').map(str::trim) {
        if d.is_empty() || digests.iter().any(|x| x == d) {
            continue;
        }
        if !crate::config::valid_digest_name(d) {
            return Err(format!("`{d}` is not a digest name"));
        }
        digests.push(d.to_owned());
    }
    Ok(Row {
        line,
        address,
        name,
        categories,
        digests,
    })
}

/// Line numbers of records. csv's own count starts a record where the last
/// one ended, before the line ends and blank lines it skips, so it is behind
/// after CRLF endings and blank lines; this counts from the record's first byte.
struct Lines<'a> {
    data: &'a [u8],
    offset: usize,
    line: u64,
}

impl Lines<'_> {
    fn line_of(&mut self, record: &csv::ByteRecord) -> u64 {
        let Some(pos) = record.position() else {
            return self.line;
        };
        let mut start = usize::try_from(pos.byte())
            .unwrap_or(usize::MAX)
            .min(self.data.len());
        while matches!(self.data.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > self.offset {
            let newlines = self.data[self.offset..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line += newlines as u64;
            self.offset = start;
        }
        self.line
    }
}

/// `,` unless the header row has no comma but `;` or tabs.
fn delimiter(data: &[u8]) -> u8 {
    let first = data.split(|&b| b == b'\n').next().unwrap_or_default();
    if first.contains(&b',') {
        b','
    } else if first.contains(&b';') {
        b';'
    } else if first.contains(&b'\t') {
        b'\t'
    } else {
        b','
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_bad_and_repeated_rows_with_lines() {
        let csv = "Email,NAME,Categories,Status\n\
                   ada@example.org,Ada,tech;Nieuws,active\n\
                   \n\
                   not-an-address,Bad,,\n\
                   \"bob@example.org\",\"Bob, Jr.\",,\n\
                   ada@EXAMPLE.org,Ada again,,\n\
                   eve@example.org,\"Eve\nBcc\",,\n\
                   ,,,\n\
                   zoë@bücher.example\n";
        let rows = parse(csv.as_bytes()).unwrap();
        let emails: Vec<_> = rows
            .rows
            .iter()
            .map(|r| (r.line, r.address.email.as_str()))
            .collect();
        assert_eq!(
            emails,
            [
                (2, "ada@example.org"),
                (5, "bob@example.org"),
                (10, "zoë@bücher.example")
            ]
        );
        assert_eq!(rows.rows[0].categories, ["tech", "Nieuws"]);
        assert_eq!(rows.rows[1].name.as_deref(), Some("Bob, Jr."));
        assert_eq!(rows.bad.len(), 2);
        assert_eq!(rows.bad[0].line, 4);
        assert!(rows.bad[0]
            .message
            .starts_with("invalid address `not-an-address`"));
        assert_eq!(rows.bad[1].line, 7);
        assert!(rows.bad[1].message.contains("control"), "{:?}", rows.bad[1]);
        assert_eq!(
            rows.repeated,
            [Skipped {
                line: 6,
                message: "`ada@EXAMPLE.org` is already on line 2; skipped".into()
            }]
        );
        assert_eq!(rows.ignored_columns, ["status"]);
    }

    #[test]
    fn header_problems() {
        assert!(parse(b"").unwrap_err().to_string().contains("empty"));
        let err = parse(b"mail,naam\nada@example.org,Ada\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the header row has no `email` column (it has `mail`, `naam`)"
        );
    }

    #[test]
    fn semicolon_files_bom_and_crlf() {
        let rows =
            parse("\u{feff}email;name\r\nada@example.org;Ada\r\nbob@example.org;\r\n".as_bytes())
                .unwrap();
        assert_eq!(rows.rows.len(), 2);
        assert_eq!(rows.rows[0].name.as_deref(), Some("Ada"));
        assert_eq!(rows.rows[1].name, None);
        assert_eq!(rows.rows[1].line, 3);
    }

    #[test]
    fn non_utf8_row_is_bad_and_the_rest_is_read() {
        let rows = parse(b"email,name\nada@example.org,Ad\xe9\nbob@example.org,Bob\n").unwrap();
        assert_eq!(
            rows.bad,
            [Skipped {
                line: 2,
                message: "this row is not UTF-8 text".into()
            }]
        );
        assert_eq!(rows.rows.len(), 1);
    }
}
