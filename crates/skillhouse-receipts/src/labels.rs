//! The Chinese column headings of a receipt's rejected rows: each field's first spelling in
//! `datasets/reference/header_aliases.toml` (DESIGN §4's own heading, "the first group on each line is DESIGN §4
//! verbatim"), in the order the file lists the fields — certificate fields, then training fields. The alias file is
//! the one home of what a column is called; it is compiled in.

use std::sync::LazyLock;

const HEADER_ALIASES: &str = include_str!("../../../datasets/reference/header_aliases.toml");

/// `(field code, heading)` in the alias file's order.
static LABELS: LazyLock<Vec<(String, String)>> = LazyLock::new(|| parse(HEADER_ALIASES));

fn parse(text: &str) -> Vec<(String, String)> {
    let Ok(table) = text.parse::<toml::Table>() else { return Vec::new() };
    let first_spelling = |field: &str| {
        ["fields", "training_fields"]
            .iter()
            .find_map(|section| table.get(*section)?.get(field)?.as_array()?.first()?.as_str().map(str::to_string))
    };
    // TOML tables do not keep their order when parsed; the file's lines do.
    let mut labels: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let Some((key, rest)) = line.split_once('=') else { continue };
        let key = key.trim();
        if !rest.trim_start().starts_with('[')
            || key.is_empty()
            || !key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            continue;
        }
        if let Some(label) = first_spelling(key)
            && !labels.iter().any(|(k, _)| k == key)
        {
            labels.push((key.to_string(), label));
        }
    }
    labels
}

/// The heading of a field (`id_number` → 身份证号); the code itself for a field the alias file does not name.
pub fn field_label(field: &str) -> &str {
    LABELS.iter().find(|(code, _)| code == field).map_or(field, |(_, label)| label.as_str())
}

/// Where a field's column goes among a receipt's row columns: the alias file's order, unknown fields last.
pub fn field_position(field: &str) -> usize {
    LABELS.iter().position(|(code, _)| code == field).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_its_design_heading_in_file_order() {
        assert_eq!(field_label("id_number"), "身份证号");
        assert_eq!(field_label("cert_no"), "证书编号");
        assert_eq!(field_label("issue_date"), "发证日期");
        assert_eq!(field_label("class_id"), "班级编号");
        assert_eq!(field_label("result"), "培训结果");
        assert_eq!(field_label("no_such_field"), "no_such_field");
        assert!(field_position("id_number") < field_position("cert_no"));
        assert!(field_position("programme") < field_position("provider_id"));
        // Every field of both contracts, and each heading is Chinese.
        assert_eq!(LABELS.len(), 22, "{:?}", *LABELS);
        assert!(LABELS.iter().all(|(_, label)| !label.is_ascii()), "{:?}", *LABELS);
    }
}
