//! `object_serde!`: serde impls for the runtime's own message types, in the
//! same shape as generated code's (see `support`), so that this crate needs
//! no derive macros and builds quickly.

/// Implements `Serialize`, `SerializeMembers` and `Deserialize` for a struct
/// of named members: `object_serde!([T] Type<T>, "what" { field: "wire",
/// ?optional_field: "wire" })`. Optional fields are `Option`s, absent on the
/// wire when `None`.
macro_rules! object_serde {
    ($name:ident, $what:literal { $($fields:tt)* }) => {
        object_serde!([] $name, $what { $($fields)* });
    };
    ([$($param:ident),*] $name:ident $(<$($arg:ident),*>)?, $what:literal { $($(? $opt:ident)? $($field:ident)?: $wire:literal),* $(,)? }) => {
        impl<$($param: serde::Serialize),*> serde::Serialize for $name $(<$($arg),*>)? {
            fn serialize<Ser: serde::Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
                $crate::support::serialize_object(self, serializer)
            }
        }

        impl<$($param: serde::Serialize),*> $crate::support::SerializeMembers for $name $(<$($arg),*>)? {
            fn serialize_members<Map: serde::ser::SerializeMap>(&self, map: &mut Map) -> Result<(), Map::Error> {
                $(
                    $($crate::support::optional_member(map, $wire, &self.$opt)?;)?
                    $($crate::support::member(map, $wire, &self.$field)?;)?
                )*
                Ok(())
            }
        }

        impl<'de, $($param: serde::de::DeserializeOwned),*> serde::Deserialize<'de> for $name $(<$($arg),*>)? {
            fn deserialize<De: serde::Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
                $crate::support::deserialize_object(deserializer)
            }
        }

        impl<$($param: serde::de::DeserializeOwned),*> $crate::support::DecodeMembers for $name $(<$($arg),*>)? {
            const WHAT: &'static str = $what;
            const MEMBERS: &'static [&'static str] = &[$($wire),*];

            fn decode_members<'de, Access: serde::de::MapAccess<'de>>(
                members: &mut $crate::support::Members<Access>,
            ) -> Result<Self, Access::Error> {
                $($(let mut $opt = None;)? $(let mut $field = None;)?)*
                while let Some(index) = members.next()? {
                    match Self::MEMBERS[index] {
                        $($wire => members.value(&mut $($opt)? $($field)?)?,)*
                        _ => unreachable!(),
                    }
                }
                Ok($name {
                    $(
                        $($opt,)?
                        $($field: members.required($field, $wire)?,)?
                    )*
                })
            }
        }
    };
}
