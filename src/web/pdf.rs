//! A minimal PDF writer: one A4 page of text in the standard Helvetica fonts (WinAnsi encoding, so German
//! umlauts and „quotes“ print correctly). Pure Rust, no dependency; enough for documents such as the
//! Service-PIN sheet. Why not a PDF crate: see docs/architecture.md.

pub const A4_WIDTH: f32 = 595.0;
pub const A4_HEIGHT: f32 = 842.0;

/// One line of text; `y` is measured from the bottom of the page, as PDF does.
pub struct Line {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub bold: bool,
    pub text: String,
}

/// Maps a character to Windows-1252 (the WinAnsi encoding of the standard fonts); others become '?'.
fn win_ansi(c: char) -> u8 {
    match c {
        '\u{20}'..='\u{7e}' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        '„' => 0x84,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        _ => b'?',
    }
}

fn pdf_string(text: &str) -> Vec<u8> {
    let mut out = vec![b'('];
    for c in text.chars() {
        let b = win_ansi(c);
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b')');
    out
}

/// Breaks text into lines of at most `width` characters (Helvetica averages about half an em per character).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The complete file: catalog, page tree, one page, two fonts, the content stream, document info.
pub fn a4_page(title: &str, lines: &[Line]) -> Vec<u8> {
    let mut content = Vec::new();
    for line in lines {
        let font = if line.bold { "F2" } else { "F1" };
        content.extend(format!("BT /{font} {} Tf {:.1} {:.1} Td ", line.size, line.x, line.y).as_bytes());
        content.extend(pdf_string(&line.text));
        content.extend(b" Tj ET\n");
    }
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {A4_WIDTH} {A4_HEIGHT}] \
             /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
        )
        .into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".to_vec(),
    ];
    let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    stream.extend(&content);
    stream.extend(b"\nendstream");
    objects.push(stream);
    let mut info = b"<< /Title ".to_vec();
    info.extend(pdf_string(title));
    info.extend(b" /Producer (Sprechstunde) >>");
    objects.push(info);

    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend(object);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info {} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1,
            objects.len()
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umlauts_and_special_characters_are_encoded() {
        assert_eq!(pdf_string("Grüße (ä)\\"), b"(Gr\xfc\xdfe \\(\xe4\\)\\\\)".to_vec());
        assert_eq!(pdf_string("„PIN“ – 5 €"), b"(\x84PIN\x93 \x96 5 \x80)".to_vec());
        assert_eq!(pdf_string("漢"), b"(?)".to_vec());
    }

    #[test]
    fn cross_reference_offsets_point_at_objects() {
        let pdf = a4_page("T", &[Line { x: 60.0, y: 780.0, size: 12.0, bold: true, text: "Hallo".into() }]);
        assert!(pdf.starts_with(b"%PDF-1.4"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        // Byte offsets: the header holds non-UTF-8 bytes on purpose (marks the file as binary).
        let latin1: String = pdf.iter().map(|&b| char::from(b)).collect();
        let tail = latin1.rfind("startxref\n").unwrap();
        let start: usize = latin1[tail + 10..].lines().next().unwrap().parse().unwrap();
        assert!(pdf[start..].starts_with(b"xref"));
        let table = String::from_utf8(pdf[start..].to_vec()).unwrap();
        for (n, line) in table.lines().skip(3).take(7).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(pdf[offset..].starts_with(format!("{} 0 obj", n + 1).as_bytes()), "object {}", n + 1);
        }
    }

    #[test]
    fn wraps_on_word_boundaries() {
        assert_eq!(wrap("eins zwei drei vier", 9), vec!["eins zwei", "drei vier"]);
        assert_eq!(wrap("", 10), Vec::<String>::new());
    }
}
