//! The full form's writer, generated from the model's own declarations.
//!
//! Why: serde_json escapes every key of every struct as it writes it, and a full assessment
//! has about 500 keys; that cost the full form 31% of batch time against the hand-kept mirror
//! writer this crate used to have (BENCHMARKS.md, "One typed wire format"). The model's structs
//! are declared once, through [`model!`], which derives `Serialize` (pretty output, snapshots)
//! and `utoipa::ToSchema` (the OpenAPI document) as before, and also implements [`Wire`] with
//! every key a constant. Field lists therefore cannot drift; the values' behaviour comes from
//! their types, and `tests/write.rs` holds the two renderings byte for byte equal on every
//! case file and labelled case.

use serde::Serialize;
use serde_json::value::RawValue;

/// A value that appends itself to a buffer as compact JSON, exactly as `serde_json::to_writer`
/// writes its `Serialize` form.
pub(crate) trait Wire {
    /// Appends the value.
    fn write(&self, out: &mut Vec<u8>);

    /// Whether a struct field holding this value is left out. Only an absent `Option` is, so
    /// every `Option` field of the model carries `skip_serializing_if = "Option::is_none"`;
    /// a field written as `null` when absent is an [`OrNull`].
    fn omitted(&self) -> bool {
        false
    }
}

/// Writes a scalar through serde_json itself, so that escaping and number formatting are
/// serde_json's own, whatever its version.
fn scalar(value: impl Serialize, out: &mut Vec<u8>) {
    serde_json::to_writer(out, &value).expect("a scalar always serializes into a Vec");
}

impl Wire for str {
    fn write(&self, out: &mut Vec<u8>) {
        // serde_json escapes only quotes, backslashes and control characters, which the
        // model's words and most texts do not have; those that do go through serde_json.
        if self.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            scalar(self, out);
        } else {
            out.push(b'"');
            out.extend_from_slice(self.as_bytes());
            out.push(b'"');
        }
    }
}

impl Wire for f64 {
    fn write(&self, out: &mut Vec<u8>) {
        scalar(self, out);
    }
}

impl Wire for u8 {
    fn write(&self, out: &mut Vec<u8>) {
        scalar(self, out);
    }
}

/// Written once, when the knowledge base was loaded; copied as it is.
impl Wire for RawValue {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.get().as_bytes());
    }
}

impl<T: Wire + ?Sized> Wire for &T {
    fn write(&self, out: &mut Vec<u8>) {
        (**self).write(out);
    }
}

impl<T: Wire> Wire for Option<T> {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => value.write(out),
            None => out.extend_from_slice(b"null"),
        }
    }

    fn omitted(&self) -> bool {
        self.is_none()
    }
}

/// An optional field written as `null` when absent, not left out.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct OrNull<T>(pub(crate) Option<T>);

impl<T> OrNull<T> {
    /// The value, if there is one.
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

impl<T: Wire> Wire for OrNull<T> {
    fn write(&self, out: &mut Vec<u8>) {
        self.0.write(out);
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn write(&self, out: &mut Vec<u8>) {
        list(self.iter(), out);
    }
}

/// Appends `items` as a JSON array.
pub(crate) fn list<T: Wire>(items: impl IntoIterator<Item = T>, out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item.write(out);
    }
    out.push(b']');
}

/// Declares model structs: each derives `Debug`, `Serialize` and (with the `openapi` feature)
/// `utoipa::ToSchema`, and implements [`Wire`] field by field, in declaration order, with each
/// key written as a constant.
macro_rules! model {
    ($(
        $(#[$attr:meta])*
        $vis:vis struct $name:ident $(<$lt:lifetime>)? {
            $($(#[$field_attr:meta])* $field_vis:vis $field:ident: $ty:ty,)*
        }
    )*) => {$(
        $(#[$attr])*
        // The fields are the contract's, named and described in its specification.
        #[allow(missing_docs)]
        #[derive(Debug, serde::Serialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        $vis struct $name$(<$lt>)? {
            $($(#[$field_attr])* $field_vis $field: $ty,)*
        }

        impl$(<$lt>)? $crate::wire::Wire for $name$(<$lt>)? {
            // The last field's `wrote = true` is never read.
            #[allow(unused_assignments)]
            fn write(&self, out: &mut Vec<u8>) {
                out.push(b'{');
                // Known at compile time after the first field that is never left out, so
                // each key, comma included, is one constant copy.
                let mut wrote = false;
                $(
                    if !$crate::wire::Wire::omitted(&self.$field) {
                        out.extend_from_slice(if wrote {
                            concat!(",\"", stringify!($field), "\":").as_bytes()
                        } else {
                            concat!("\"", stringify!($field), "\":").as_bytes()
                        });
                        wrote = true;
                        $crate::wire::Wire::write(&self.$field, out);
                    }
                )*
                out.push(b'}');
            }
        }
    )*};
}

pub(crate) use model;
