//! Text encodings of CSV and JSON Lines files: detected from the bytes, never declared (DESIGN §4).

use std::borrow::Cow;

/// The text encoding a file turned out to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 with a leading byte-order mark (as Excel writes "CSV UTF-8").
    Utf8Bom,
    /// GBK (GB18030 without four-byte sequences), as Excel and WPS write "CSV" on Chinese Windows.
    Gbk,
    /// GB18030 with four-byte sequences.
    Gb18030,
}

impl TextEncoding {
    /// Ledger label: `utf-8`, `utf-8-bom`, `gbk`, `gb18030`.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Utf8Bom => "utf-8-bom",
            Self::Gbk => "gbk",
            Self::Gb18030 => "gb18030",
        }
    }
}

/// Why bytes are not text in a known encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// NUL bytes: binary data, not a text file.
    Binary,
    /// Neither UTF-8 nor GB18030; `offset` is the first byte that breaks UTF-8.
    UnknownEncoding {
        /// Byte offset of the first invalid UTF-8 sequence.
        offset: usize,
    },
}

/// Decodes a text file: valid UTF-8 (with or without BOM) is UTF-8; otherwise bytes that decode as GB18030
/// without a single error are GBK/GB18030; anything else is refused rather than guessed.
pub fn decode_text(bytes: &[u8]) -> Result<(Cow<'_, str>, TextEncoding), DecodeError> {
    if bytes.contains(&0) {
        return Err(DecodeError::Binary);
    }
    let (body, bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    match std::str::from_utf8(body) {
        Ok(text) => Ok((Cow::Borrowed(text), if bom { TextEncoding::Utf8Bom } else { TextEncoding::Utf8 })),
        Err(utf8_error) => {
            let decoded = encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes);
            match decoded {
                Some(text) => {
                    let encoding =
                        if has_four_byte_sequence(bytes) { TextEncoding::Gb18030 } else { TextEncoding::Gbk };
                    Ok((Cow::Owned(text.into_owned()), encoding))
                }
                None => Err(DecodeError::UnknownEncoding { offset: utf8_error.valid_up_to() }),
            }
        }
    }
}

/// The text with classic Mac OS line ends (a carriage return not followed by a line feed) turned into line feeds,
/// so that every reader sees the lines a text editor shows. Without this a file saved with CR-only line ends is
/// one long line to the CSV parser and its rows vanish. LF and CRLF text is returned as it is, borrowed.
pub(crate) fn unify_line_ends(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone_cr = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    if !text.contains('\r') || !(0..bytes.len()).any(lone_cr) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() != Some(&'\n') {
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether GB18030 bytes use four-byte sequences (lead byte 0x81–0xFE followed by a digit byte).
fn has_four_byte_sequence(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
        } else if bytes.get(i + 1).is_some_and(|n| n.is_ascii_digit()) {
            return true;
        } else {
            i += 2;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_encoding() {
        let text = "身份证号,证书编号\n";
        assert_eq!(decode_text(text.as_bytes()).map(|(_, e)| e), Ok(TextEncoding::Utf8));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let (decoded, enc) = decode_text(&bom).expect("bom");
        assert_eq!((decoded.as_ref(), enc), (text, TextEncoding::Utf8Bom));
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let (decoded, enc) = decode_text(&gbk).expect("gbk");
        assert_eq!((decoded.as_ref(), enc), (text, TextEncoding::Gbk));
        let (gb18030, _, _) = encoding_rs::GB18030.encode("𠀀身份证号");
        assert_eq!(decode_text(&gb18030).map(|(_, e)| e), Ok(TextEncoding::Gb18030));
    }

    #[test]
    fn classic_mac_line_ends_become_line_feeds() {
        assert_eq!(unify_line_ends("a,b\r1,2\r3,4"), "a,b\n1,2\n3,4");
        assert_eq!(unify_line_ends("a,b\r\n1,2\r3"), "a,b\r\n1,2\n3", "mixed: only the lone CR changes");
        assert!(matches!(unify_line_ends("a,b\r\n1,2\r\n"), Cow::Borrowed(_)));
        assert!(matches!(unify_line_ends("a,b\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn refuses_binary_and_garbage() {
        assert_eq!(decode_text(b"PK\x03\x04\x00\x00").map(|(_, e)| e), Err(DecodeError::Binary));
        assert!(matches!(decode_text(b"abc\xFF\xFF\xFF"), Err(DecodeError::UnknownEncoding { offset: 3 })));
    }
}
