//! Reading SQL shell input line by line, as psql does: statements end with `;` outside quotes and comments and may
//! span lines; a line starting with `\` is a shell command (`\d`, `\timing`, `\q` …).

/// One piece of input, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A complete SQL statement, its `;` included.
    Statement { sql: String, line: usize },
    /// A backslash command line, trimmed (`\d persons`).
    Command { text: String, line: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lexer {
    Code,
    SingleQuoted,
    DoubleQuoted,
    LineComment,
    BlockComment(u32),
}

/// Splits lines into statements and commands.
#[derive(Debug)]
pub struct Splitter {
    buffer: String,
    lexer: Lexer,
    /// Line number of the next line pushed.
    next_line: usize,
    /// Line the buffered statement starts on.
    start_line: usize,
}

impl Default for Splitter {
    fn default() -> Self {
        Self { buffer: String::new(), lexer: Lexer::Code, next_line: 1, start_line: 1 }
    }
}

impl Splitter {
    /// Whether a statement is under way (the shell then shows its continuation prompt).
    pub fn in_statement(&self) -> bool {
        !self.buffer.is_empty()
    }

    /// Discards the statement under way (Ctrl-C at the prompt).
    pub fn clear(&mut self) {
        self.buffer.clear();
        self.lexer = Lexer::Code;
    }

    /// Feeds one line (without its newline); returns what it completed.
    pub fn push_line(&mut self, line: &str) -> Vec<Input> {
        let number = self.next_line;
        self.next_line += 1;
        if self.lexer == Lexer::Code && line.trim_start().starts_with('\\') {
            return vec![Input::Command { text: line.trim().to_string(), line: number }];
        }
        let mut done = Vec::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if self.buffer.is_empty() {
                if self.lexer == Lexer::Code && c.is_whitespace() {
                    continue;
                }
                self.start_line = number;
            }
            self.buffer.push(c);
            let next = chars.peek().copied();
            self.lexer = match (self.lexer, c, next) {
                (Lexer::Code, '\'', _) => Lexer::SingleQuoted,
                (Lexer::Code, '"', _) => Lexer::DoubleQuoted,
                (Lexer::Code, '-', Some('-')) => Lexer::LineComment,
                (Lexer::Code, '/', Some('*')) => {
                    self.buffer.push('*');
                    chars.next();
                    Lexer::BlockComment(1)
                }
                (Lexer::Code, ';', _) => {
                    done.push(Input::Statement { sql: std::mem::take(&mut self.buffer), line: self.start_line });
                    Lexer::Code
                }
                // A doubled quote inside a string is an escaped quote: leaving and re-entering the string does it.
                (Lexer::SingleQuoted, '\'', _) => Lexer::Code,
                (Lexer::DoubleQuoted, '"', _) => Lexer::Code,
                (Lexer::BlockComment(depth), '*', Some('/')) => {
                    self.buffer.push('/');
                    chars.next();
                    if depth == 1 { Lexer::Code } else { Lexer::BlockComment(depth - 1) }
                }
                (Lexer::BlockComment(depth), '/', Some('*')) => {
                    self.buffer.push('*');
                    chars.next();
                    Lexer::BlockComment(depth + 1)
                }
                (state, _, _) => state,
            };
        }
        if self.lexer == Lexer::LineComment {
            self.lexer = Lexer::Code;
        }
        if self.lexer == Lexer::Code && !has_code(&self.buffer) {
            // Only comments so far: nothing to run, and the statement starts on a later line.
            self.buffer.clear();
        } else if !self.buffer.is_empty() {
            self.buffer.push('\n');
        }
        done
    }

    /// The unterminated statement left at the end of the input, if it holds more than comments and blanks.
    pub fn finish(&mut self) -> Option<Input> {
        let sql = std::mem::take(&mut self.buffer);
        self.lexer = Lexer::Code;
        has_code(&sql).then_some(Input::Statement { sql, line: self.start_line })
    }
}

/// Whether SQL text holds anything but comments and whitespace.
pub fn has_code(sql: &str) -> bool {
    let mut rest = sql;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, tail)| tail);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, tail)| tail);
        } else {
            return !rest.is_empty();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<Input> {
        let mut splitter = Splitter::default();
        let mut out: Vec<Input> = text.lines().flat_map(|l| splitter.push_line(l)).collect();
        out.extend(splitter.finish());
        out
    }

    fn statement(sql: &str, line: usize) -> Input {
        Input::Statement { sql: sql.to_string(), line }
    }

    #[test]
    fn statements_end_at_semicolons_outside_quotes_and_comments() {
        assert_eq!(split("SELECT 1; SELECT 2;"), vec![statement("SELECT 1;", 1), statement("SELECT 2;", 1)]);
        assert_eq!(
            split("SELECT 'a;b', \"x;y\"\n  -- not the end;\nFROM t /* nor ; this */ ;"),
            vec![statement("SELECT 'a;b', \"x;y\"\n  -- not the end;\nFROM t /* nor ; this */ ;", 1)]
        );
        assert_eq!(split("SELECT 'it''s;'\n;"), vec![statement("SELECT 'it''s;'\n;", 1)]);
        assert_eq!(
            split("/* a /* nested ; */ comment */ SELECT 1;"),
            vec![statement("/* a /* nested ; */ comment */ SELECT 1;", 1)]
        );
    }

    #[test]
    fn multi_line_statements_report_their_first_line() {
        let inputs =
            split("\n-- header comment\nSELECT region_code,\n  COUNT(*)\nFROM persons\nGROUP BY 1;\nSELECT 2;");
        assert_eq!(
            inputs,
            vec![statement("SELECT region_code,\n  COUNT(*)\nFROM persons\nGROUP BY 1;", 3), statement("SELECT 2;", 7)]
        );
    }

    #[test]
    fn backslash_lines_are_commands_and_a_trailing_statement_runs_at_the_end() {
        assert_eq!(
            split("\\timing on\nSELECT 1;\n\\d persons\nSELECT 2"),
            vec![
                Input::Command { text: "\\timing on".into(), line: 1 },
                statement("SELECT 1;", 2),
                Input::Command { text: "\\d persons".into(), line: 3 },
                statement("SELECT 2\n", 4),
            ]
        );
        // A backslash inside a string is not a command.
        assert_eq!(split("SELECT '\n\\d';"), vec![statement("SELECT '\n\\d';", 1)]);
        assert_eq!(split("-- only a comment\n  \n"), Vec::<Input>::new());
    }

    #[test]
    fn code_is_told_from_comments() {
        assert!(has_code("SELECT 1"));
        assert!(has_code("-- c\nSELECT 1"));
        assert!(!has_code("-- c\n/* d */\n  "));
        assert!(!has_code(""));
    }
}
