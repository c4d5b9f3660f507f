//! The war-room log's notes in a checkpoint body ([`NotesV4`], the last
//! field of `StateV4`) ⇄ the engine's `Notes`.
//!
//! Its own struct appended at the end of the body, so it can move to a
//! later format whole. A scope is stored as its one string (`sale`,
//! `channel:ID`, …) and read back through `NoteScope::parse`: a scope that
//! does not parse is damage, named.

use serde::{Deserialize, Serialize};

use super::FormatError;
use crate::engine::{Note, Notes};
use crate::note::{NoteBody, NoteId, NoteScope};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NotesV4 {
    /// Oldest first.
    pub list: Vec<NoteV4>,
    /// `Notes::rev` when copied.
    pub rev: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteV4 {
    pub id: u64,
    pub ts_ms: i64,
    pub scope: String,
    pub text: String,
    pub author: Option<String>,
}

impl From<Notes> for NotesV4 {
    fn from(notes: Notes) -> NotesV4 {
        NotesV4 {
            rev: notes.rev(),
            list: notes
                .list()
                .iter()
                .map(|n| NoteV4 {
                    id: n.id.0,
                    ts_ms: n.ts_ms,
                    scope: n.body.scope.to_string(),
                    text: n.body.text.clone(),
                    author: n.body.author.clone(),
                })
                .collect(),
        }
    }
}

impl TryFrom<NotesV4> for Notes {
    type Error = FormatError;

    fn try_from(v: NotesV4) -> Result<Notes, FormatError> {
        let list = v
            .list
            .into_iter()
            .map(|n| {
                let scope = NoteScope::parse(&n.scope).ok_or_else(|| {
                    FormatError::Decode(format!("note {} has scope {:?}", NoteId(n.id), n.scope))
                })?;
                Ok(Note {
                    id: NoteId(n.id),
                    ts_ms: n.ts_ms,
                    body: NoteBody {
                        text: n.text,
                        scope,
                        author: n.author,
                    },
                })
            })
            .collect::<Result<Vec<_>, FormatError>>()?;
        Ok(Notes::from_list(list, v.rev))
    }
}
