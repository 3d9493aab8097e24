//! Tokens with spans.
//!
//! The lexer never fails: a problem (an unknown character, an unterminated comment or string, an
//! integer too large for `i64`) becomes a [`Diagnostic`] and lexing goes on, so that the parser
//! can still report its own errors in the same run.

use crate::diagnostic::Diagnostic;
use crate::parser::MAX_ERRORS;
use crate::span::{FileId, Span};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Ident(String),
    /// A decimal literal; one that does not fit in `i64` was reported and reads as `0`.
    Int(i64),
    /// A string literal, escapes resolved.
    Str(String),
    // Keywords.
    Param,
    Enum,
    Hole,
    Fn,
    Sketch,
    Examples,
    Let,
    For,
    In,
    If,
    Else,
    Match,
    Observe,
    Cost,
    True,
    False,
    Bool,
    /// `_`
    Underscore,
    // Punctuation.
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Semi,
    Colon,
    ColonColon,
    DotDot,
    Arrow,
    FatArrow,
    Eq,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Bang,
    AndAnd,
    OrOr,
    Caret,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Pipe,
    /// End of input (always the last token).
    Eof,
}

impl TokenKind {
    /// The fixed spelling of a keyword or punctuation token.
    pub fn text(&self) -> Option<&'static str> {
        use TokenKind::*;
        Some(match self {
            Ident(_) | Int(_) | Str(_) | Eof => return None,
            Param => "param",
            Enum => "enum",
            Hole => "hole",
            Fn => "fn",
            Sketch => "sketch",
            Examples => "examples",
            Let => "let",
            For => "for",
            In => "in",
            If => "if",
            Else => "else",
            Match => "match",
            Observe => "observe",
            Cost => "cost",
            True => "true",
            False => "false",
            Bool => "bool",
            Underscore => "_",
            LParen => "(",
            RParen => ")",
            LBracket => "[",
            RBracket => "]",
            LBrace => "{",
            RBrace => "}",
            Comma => ",",
            Semi => ";",
            Colon => ":",
            ColonColon => "::",
            DotDot => "..",
            Arrow => "->",
            FatArrow => "=>",
            Eq => "=",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Percent => "%",
            Bang => "!",
            AndAnd => "&&",
            OrOr => "||",
            Caret => "^",
            EqEq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Pipe => "|",
        })
    }

    pub fn is_keyword(&self) -> bool {
        use TokenKind::*;
        matches!(
            self,
            Param
                | Enum
                | Hole
                | Fn
                | Sketch
                | Examples
                | Let
                | For
                | In
                | If
                | Else
                | Match
                | Observe
                | Cost
                | True
                | False
                | Bool
        )
    }

    /// Keywords that start a top-level item.
    pub fn is_item_keyword(&self) -> bool {
        use TokenKind::*;
        matches!(self, Param | Enum | Hole | Fn | Sketch | Examples)
    }

    /// How the token is named in a message: "`;`", "keyword `fn`", "identifier `x`".
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Ident(name) => format!("identifier `{name}`"),
            TokenKind::Int(v) => format!("integer `{v}`"),
            TokenKind::Str(_) => "a string".to_string(),
            TokenKind::Eof => "end of file".to_string(),
            k if k.is_keyword() => format!("keyword `{}`", k.text().unwrap_or_default()),
            k => format!("`{}`", k.text().unwrap_or_default()),
        }
    }
}

fn keyword(word: &str) -> Option<TokenKind> {
    use TokenKind::*;
    Some(match word {
        "param" => Param,
        "enum" => Enum,
        "hole" => Hole,
        "fn" => Fn,
        "sketch" => Sketch,
        "examples" => Examples,
        "let" => Let,
        "for" => For,
        "in" => In,
        "if" => If,
        "else" => Else,
        "match" => Match,
        "observe" => Observe,
        "cost" => Cost,
        "true" => True,
        "false" => False,
        "bool" => Bool,
        "_" => Underscore,
        _ => return None,
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// A lexical error (skipped unknown characters, an unterminated string or comment) comes
    /// right before this token. The parser stays quiet about an error at such a token: it is
    /// most likely a consequence of the one already reported.
    pub after_lex_error: bool,
}

/// Splits `text` into tokens (the last one is [`TokenKind::Eof`]) and reports lexical errors.
pub fn lex(file: FileId, text: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lexer = Lexer {
        file,
        text,
        bytes: text.as_bytes(),
        pos: 0,
        tokens: Vec::new(),
        diags: Vec::new(),
        bad: false,
    };
    lexer.run();
    (lexer.tokens, lexer.diags)
}

struct Lexer<'a> {
    file: FileId,
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    diags: Vec<Diagnostic>,
    /// A lexical error was reported since the last token.
    bad: bool,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The characters that may start a token (or whitespace or a comment) on their own; `.` and `&`
/// only start one when doubled.
fn is_known_start(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '_' | ' '
                | '\t'
                | '\n'
                | '\r'
                | '\x0c'
                | '"'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | ','
                | ';'
                | ':'
                | '-'
                | '='
                | '+'
                | '*'
                | '/'
                | '%'
                | '!'
                | '|'
                | '^'
                | '<'
                | '>'
        )
}

impl Lexer<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start as u32, end as u32)
    }

    fn peek(&self, ahead: usize) -> u8 {
        self.bytes.get(self.pos + ahead).copied().unwrap_or(0)
    }

    /// Keeps the first errors only (see [`MAX_ERRORS`]): garbage input must not produce
    /// millions of diagnostics.
    fn report(&mut self, diag: Diagnostic) {
        if self.diags.len() <= MAX_ERRORS {
            self.diags.push(diag);
        }
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        let span = self.span(start, self.pos);
        self.tokens.push(Token {
            kind,
            span,
            after_lex_error: self.bad,
        });
        self.bad = false;
    }

    fn run(&mut self) {
        while self.pos < self.bytes.len() {
            let start = self.pos;
            let b = self.bytes[self.pos];
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => self.pos += 1,
                b'/' if self.peek(1) == b'/' => {
                    while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b'/' if self.peek(1) == b'*' => self.block_comment(),
                b'"' => self.string(),
                b'0'..=b'9' => self.int(),
                _ if is_ident_start(b) => {
                    while self.pos < self.bytes.len() && is_ident_continue(self.bytes[self.pos]) {
                        self.pos += 1;
                    }
                    let word = &self.text[start..self.pos];
                    let kind = keyword(word).unwrap_or_else(|| TokenKind::Ident(word.to_string()));
                    self.push(kind, start);
                }
                _ => {
                    if let Some(kind) = self.punct() {
                        self.push(kind, start);
                    } else {
                        self.unknown();
                    }
                }
            }
        }
        self.push(TokenKind::Eof, self.pos);
    }

    /// Punctuation at `pos`, longest match first; advances past it.
    fn punct(&mut self) -> Option<TokenKind> {
        use TokenKind::*;
        let two = match (self.peek(0), self.peek(1)) {
            (b':', b':') => Some(ColonColon),
            (b'.', b'.') => Some(DotDot),
            (b'-', b'>') => Some(Arrow),
            (b'=', b'>') => Some(FatArrow),
            (b'&', b'&') => Some(AndAnd),
            (b'|', b'|') => Some(OrOr),
            (b'=', b'=') => Some(EqEq),
            (b'!', b'=') => Some(Ne),
            (b'<', b'=') => Some(Le),
            (b'>', b'=') => Some(Ge),
            _ => None,
        };
        if let Some(kind) = two {
            self.pos += 2;
            return Some(kind);
        }
        let one = match self.peek(0) {
            b'(' => LParen,
            b')' => RParen,
            b'[' => LBracket,
            b']' => RBracket,
            b'{' => LBrace,
            b'}' => RBrace,
            b',' => Comma,
            b';' => Semi,
            b':' => Colon,
            b'=' => Eq,
            b'+' => Plus,
            b'-' => Minus,
            b'*' => Star,
            b'/' => Slash,
            b'%' => Percent,
            b'!' => Bang,
            b'^' => Caret,
            b'<' => Lt,
            b'>' => Gt,
            b'|' => Pipe,
            _ => return None,
        };
        self.pos += 1;
        Some(one)
    }

    /// Skips a run of characters that start no token and reports it once.
    fn unknown(&mut self) {
        let start = self.pos;
        while let Some(c) = self.text[self.pos..].chars().next() {
            let doubled = matches!(c, '.' | '&') && self.peek(1) == c as u8;
            if self.pos > start && (is_known_start(c) || doubled) {
                break;
            }
            self.pos += c.len_utf8();
        }
        let run = &self.text[start..self.pos];
        let shown: String = run.chars().take(16).flat_map(char::escape_debug).collect();
        let shown = if run.chars().count() > 16 {
            format!("{shown}…")
        } else {
            shown
        };
        let (message, label) = if run.chars().count() == 1 {
            (
                format!("unknown character `{shown}`"),
                "not a token of the weft language",
            )
        } else {
            (
                format!("unknown characters `{shown}`"),
                "not tokens of the weft language",
            )
        };
        let mut diag = Diagnostic::error(message, self.span(start, self.pos)).with_label(label);
        match run {
            "&" => diag = diag.with_note("help: logical and is written `&&`"),
            "." => diag = diag.with_note("help: a range is written `lo..hi`"),
            _ => {}
        }
        self.report(diag);
        self.bad = true;
    }

    fn block_comment(&mut self) {
        let start = self.pos;
        self.pos += 2;
        while self.pos < self.bytes.len() {
            if self.bytes[self.pos] == b'*' && self.peek(1) == b'/' {
                self.pos += 2;
                return;
            }
            self.pos += 1;
        }
        self.report(
            Diagnostic::error("unterminated block comment", self.span(start, start + 2))
                .with_label("this comment is never closed")
                .with_note("help: close it with `*/` (block comments do not nest)"),
        );
        self.bad = true;
    }

    fn string(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        let terminated = loop {
            let Some(c) = self.text[self.pos..].chars().next() else {
                break false;
            };
            match c {
                '"' => {
                    self.pos += 1;
                    break true;
                }
                '\n' => break false,
                '\\' => {
                    let esc_start = self.pos;
                    self.pos += 1;
                    match self.text[self.pos..].chars().next() {
                        Some('"') => value.push('"'),
                        Some('\\') => value.push('\\'),
                        Some('n') => value.push('\n'),
                        Some('\n') | None => continue,
                        Some(other) => {
                            let end = self.pos + other.len_utf8();
                            self.report(
                                Diagnostic::error(
                                    format!("unknown escape `\\{}`", other.escape_debug()),
                                    self.span(esc_start, end),
                                )
                                .with_label("unknown escape")
                                .with_note("help: the escapes are `\\\"`, `\\\\` and `\\n`"),
                            );
                        }
                    }
                    if let Some(c) = self.text[self.pos..].chars().next() {
                        self.pos += c.len_utf8();
                    }
                }
                c => {
                    value.push(c);
                    self.pos += c.len_utf8();
                }
            }
        };
        self.push(TokenKind::Str(value), start);
        if !terminated {
            self.unterminated_string(start);
        }
    }

    fn unterminated_string(&mut self, start: usize) {
        self.report(
            Diagnostic::error("unterminated string", self.span(start, start + 1))
                .with_label("this string is never closed")
                .with_note("help: close it with `\"` on the same line"),
        );
        self.bad = true;
    }

    fn int(&mut self) {
        let start = self.pos;
        let mut value: Option<i64> = Some(0);
        while self.pos < self.bytes.len() && self.bytes[self.pos].is_ascii_digit() {
            let digit = i64::from(self.bytes[self.pos] - b'0');
            value = value
                .and_then(|v| v.checked_mul(10))
                .and_then(|v| v.checked_add(digit));
            self.pos += 1;
        }
        let value = value.unwrap_or_else(|| {
            self.report(
                Diagnostic::error("integer literal is too large", self.span(start, self.pos))
                    .with_label("does not fit in a 64-bit signed integer")
                    .with_note(format!("note: the largest integer is {}", i64::MAX)),
            );
            0
        });
        self.push(TokenKind::Int(value), start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        lex(FileId(0), text).0.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn punctuation_longest_match() {
        use TokenKind::*;
        assert_eq!(
            kinds("a::b..c->d=>e==f!=g<=h>=i&&j||k|l"),
            vec![
                Ident("a".into()),
                ColonColon,
                Ident("b".into()),
                DotDot,
                Ident("c".into()),
                Arrow,
                Ident("d".into()),
                FatArrow,
                Ident("e".into()),
                EqEq,
                Ident("f".into()),
                Ne,
                Ident("g".into()),
                Le,
                Ident("h".into()),
                Ge,
                Ident("i".into()),
                AndAnd,
                Ident("j".into()),
                OrOr,
                Ident("k".into()),
                Pipe,
                Ident("l".into()),
                Eof
            ]
        );
    }

    #[test]
    fn ranges_are_not_decimals() {
        use TokenKind::*;
        assert_eq!(kinds("0..10"), vec![Int(0), DotDot, Int(10), Eof]);
    }

    #[test]
    fn comments_and_keywords() {
        use TokenKind::*;
        assert_eq!(
            kinds("fn /* x */ _ _a // c\n bool"),
            vec![Fn, Underscore, Ident("_a".into()), Bool, Eof]
        );
    }

    #[test]
    fn string_escapes() {
        let (toks, diags) = lex(FileId(0), r#""a\"b\\c\nd""#);
        assert!(diags.is_empty());
        assert_eq!(toks[0].kind, TokenKind::Str("a\"b\\c\nd".into()));
    }

    #[test]
    fn errors_are_reported_and_skipped() {
        let (toks, diags) = lex(FileId(0), "a @# b 99999999999999999999 \"x");
        assert_eq!(diags.len(), 3, "{diags:?}");
        assert_eq!(diags[0].message, "unknown characters `@#`");
        assert!(toks[1].after_lex_error);
        assert_eq!(toks[2].kind, TokenKind::Int(0));
        assert_eq!(diags[1].message, "integer literal is too large");
        assert_eq!(diags[2].message, "unterminated string");
    }

    #[test]
    fn largest_integer() {
        assert_eq!(kinds("9223372036854775807")[0], TokenKind::Int(i64::MAX));
    }

    #[test]
    fn unterminated_block_comment() {
        let (toks, diags) = lex(FileId(0), "a /* b");
        assert_eq!(toks.len(), 2);
        assert_eq!(diags[0].message, "unterminated block comment");
    }
}
