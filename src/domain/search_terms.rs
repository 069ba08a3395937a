//! Search terms: lower case, German umlauts both folded (ü → ue) and stripped (ü → u) so that "Müller",
//! "mueller" and "muller" all find Müller, other accents removed, only a–z and 0–9 kept. The alphabet is
//! that small on purpose: prefix ranges on it sort the same under every database collation.

const TITLES: &[&str] = &["dr", "prof", "med", "dent", "dipl", "ing", "herr", "frau"];

/// One word in its search forms: usually one, two for words with umlauts or ß.
fn forms(word: &str) -> Vec<String> {
    let mut folded = String::new();
    let mut stripped = String::new();
    for c in word.to_lowercase().chars() {
        let (f, s) = match c {
            'ä' => ("ae", "a"),
            'ö' => ("oe", "o"),
            'ü' => ("ue", "u"),
            'ß' => ("ss", "ss"),
            'à' | 'á' | 'â' | 'ã' | 'å' => ("a", "a"),
            'ç' => ("c", "c"),
            'è' | 'é' | 'ê' | 'ë' => ("e", "e"),
            'ì' | 'í' | 'î' | 'ï' => ("i", "i"),
            'ñ' => ("n", "n"),
            'ò' | 'ó' | 'ô' | 'õ' | 'ø' => ("o", "o"),
            'ù' | 'ú' | 'û' => ("u", "u"),
            'ý' | 'ÿ' => ("y", "y"),
            c if c.is_ascii_alphanumeric() => {
                folded.push(c);
                stripped.push(c);
                continue;
            }
            _ => continue,
        };
        folded.push_str(f);
        stripped.push_str(s);
    }
    let mut forms = vec![folded];
    if stripped != forms[0] {
        forms.push(stripped);
    }
    forms.retain(|f| !f.is_empty());
    forms
}

/// The terms an account is found by: every part of its name (titles left out) and its username.
pub fn terms(name: &str, username: &str) -> Vec<String> {
    let mut terms: Vec<String> = name
        .split(|c: char| c.is_whitespace() || c == '-' || c == ',' || c == '.')
        .filter(|part| !TITLES.contains(&part.to_lowercase().as_str()))
        .flat_map(forms)
        .chain(forms(username))
        .collect();
    terms.sort();
    terms.dedup();
    terms
}

/// Ordered pairs of different name parts in all their forms, for two-word searches ("anna mueller",
/// "mueller anna", "anna muller", …). Usernames are single words and take no part.
pub fn pairs(name: &str) -> Vec<(String, String)> {
    let parts: Vec<Vec<String>> = name
        .split(|c: char| c.is_whitespace() || c == '-' || c == ',' || c == '.')
        .filter(|part| !TITLES.contains(&part.to_lowercase().as_str()))
        .map(forms)
        .filter(|f| !f.is_empty())
        .collect();
    let mut pairs = Vec::new();
    for (i, a) in parts.iter().enumerate() {
        for (j, b) in parts.iter().enumerate() {
            if i != j {
                for x in a {
                    for y in b {
                        pairs.push((x.clone(), y.clone()));
                    }
                }
            }
        }
    }
    pairs.sort();
    pairs.dedup();
    pairs
}

/// The words of a query, each in its folded form ("Müller" → "mueller"; "muller" stays "muller").
pub fn query_words(query: &str) -> Vec<String> {
    query
        .split(|c: char| c.is_whitespace() || c == '-' || c == ',')
        .filter_map(|word| forms(word).into_iter().next())
        .take(4)
        .collect()
}

/// The smallest string greater than every string starting with `prefix` (in the a–z0–9 alphabet), if any.
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '0'..='8' | 'a'..='y' => char::from(last as u8 + 1),
            '9' => 'a',
            _ => continue, // 'z': carry to the previous character
        };
        chars.push(next);
        return Some(chars.into_iter().collect());
    }
    None
}

/// The exclusive upper end of the range of terms starting with `prefix`. For prefixes like "zz" that have
/// no successor, a run of 'z' longer than any name part (names have at most 200 characters) does the job.
pub fn range_end(prefix: &str) -> String {
    prefix_end(prefix).unwrap_or_else(|| "z".repeat(201))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umlauts_are_found_three_ways() {
        let terms = terms("Dr. Jörg Müller-Lüdenscheidt", "jmueller");
        for expected in ["joerg", "jorg", "mueller", "muller", "luedenscheidt", "ludenscheidt", "jmueller"] {
            assert!(terms.contains(&expected.to_owned()), "{expected} in {terms:?}");
        }
        assert!(!terms.contains(&"dr".to_owned()), "titles are not terms");
        for query in ["Müller", "mueller", "muller", "MÜL", "mue"] {
            let word = &query_words(query)[0];
            assert!(terms.iter().any(|t| t.starts_with(word.as_str())), "{query}");
        }
        assert_eq!(super::terms("Renée Groß", "rgross"), vec!["gross", "renee", "rgross"]);
    }

    #[test]
    fn pairs_cover_both_orders_and_spellings() {
        let pairs = pairs("Dr. Jörg Müller");
        for (a, b) in [("joerg", "mueller"), ("jorg", "muller"), ("mueller", "joerg"), ("muller", "jorg")] {
            assert!(pairs.contains(&(a.to_owned(), b.to_owned())), "{a} {b}");
        }
        assert!(!pairs.iter().any(|(a, _)| a == "dr"));
        assert_eq!(super::pairs("Madonna").len(), 0);
    }

    #[test]
    fn query_words_are_folded_and_limited() {
        assert_eq!(query_words("  Erika   MÜ "), vec!["erika", "mue"]);
        assert_eq!(query_words("%_'"), Vec::<String>::new());
        assert_eq!(query_words("a b c d e f").len(), 4);
    }

    #[test]
    fn prefix_ranges() {
        assert_eq!(prefix_end("mu").as_deref(), Some("mv"));
        assert_eq!(prefix_end("muz").as_deref(), Some("mv"));
        assert_eq!(prefix_end("a9").as_deref(), Some("aa"));
        assert_eq!(prefix_end("zz"), None);
        let (start, end) = ("mue", prefix_end("mue").unwrap());
        for term in ["mue", "mueller", "muez"] {
            assert!(term >= start && term < end.as_str(), "{term}");
        }
        for term in ["mud", "muf", "mu"] {
            assert!(!(term >= start && term < end.as_str()), "{term}");
        }
    }
}
