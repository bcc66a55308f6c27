//! Every record of a scan in compact form: interned paths, text arenas for labels, places and
//! masked values, one array of elements, all in blocks that never move, so memory grows by tens
//! of bytes per record and never holds an array twice; the scan's records wait on disk during
//! the walk, and their labels and elements once they are ordered.

use std::collections::HashMap;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::aggregate::RecordPart;

/// Items in blocks of a few megabytes that never move. A growing `Vec` holds its old and new
/// copy while it moves, and on a large share the last moves of the element array and the text
/// arena came at the end of the walk, the scan's peak: blocks never copy what they hold.
#[derive(Debug)]
struct Blocks<B> {
    blocks: Vec<B>,
}

impl<B> Default for Blocks<B> {
    fn default() -> Self {
        Blocks { blocks: Vec::new() }
    }
}

/// Bytes a block is given room for. Four megabytes rather than one: a quarter of the blocks, and
/// the 1 GiB bench share's walk peaked 20-30 MB lower in two runs each (BENCHMARKS.md).
#[cfg(not(test))]
const BLOCK_BYTES: usize = 4 << 20;
/// Tests cross block boundaries with a quarter of the data.
#[cfg(test)]
const BLOCK_BYTES: usize = 1 << 20;

/// What `Blocks` keeps: a vector of items, or a string whose runs are whole strings (so they
/// read back as `&str` without checking the bytes again).
trait Block {
    /// Items a block is given room for: about `BLOCK_BYTES`.
    const ITEMS: usize;
    fn items(&self) -> usize;
    fn with_room(items: usize) -> Self;
}

impl<T> Block for Vec<T> {
    const ITEMS: usize = match std::mem::size_of::<T>() {
        0 => 1,
        size if size >= BLOCK_BYTES => 1,
        size => BLOCK_BYTES / size,
    };

    fn items(&self) -> usize {
        self.len()
    }

    fn with_room(items: usize) -> Self {
        Vec::with_capacity(items)
    }
}

impl Block for String {
    const ITEMS: usize = BLOCK_BYTES;

    fn items(&self) -> usize {
        self.len()
    }

    fn with_room(items: usize) -> Self {
        String::with_capacity(items)
    }
}

impl<B: Block> Blocks<B> {
    /// Where a run of `n` items pushed next will start (block, offset): a run never straddles
    /// two blocks, and a run longer than a block gets a block of its own.
    fn start_run(&mut self, n: usize) -> (u32, u32) {
        let fits = self
            .blocks
            .last()
            .is_some_and(|b| b.items() == 0 || b.items() + n <= B::ITEMS);
        if !fits {
            // The first block grows as needed (a batch's store holds a few records); later
            // ones are taken whole.
            let room = if self.blocks.is_empty() {
                0
            } else {
                B::ITEMS.max(n)
            };
            self.blocks.push(B::with_room(room));
        }
        let block = self.blocks.len() - 1;
        (block as u32, self.blocks[block].items() as u32)
    }
}

impl<T: Copy> Blocks<Vec<T>> {
    /// Appends `items` as one run and says where it starts.
    fn push_run(&mut self, items: &[T]) -> (u32, u32) {
        let at = self.start_run(items.len());
        if let Some(block) = self.blocks.last_mut() {
            block.extend_from_slice(items);
        }
        at
    }

    /// Appends one item to the run begun by the last `start_run`.
    fn push_to_run(&mut self, item: T) {
        if let Some(block) = self.blocks.last_mut() {
            block.push(item);
        }
    }

    fn run(&self, (block, offset): (u32, u32), len: usize) -> &[T] {
        let offset = offset as usize;
        self.blocks
            .get(block as usize)
            .and_then(|b| b.get(offset..offset + len))
            .unwrap_or(&[])
    }

    /// Appends one item and gives its index: single items fill every block to the brim, so
    /// block and offset follow from the index.
    fn push_indexed(&mut self, item: T) -> usize {
        let (block, offset) = self.push_run(std::slice::from_ref(&item));
        block as usize * <Vec<T> as Block>::ITEMS + offset as usize
    }

    /// `len` copies of `item`, in full blocks as `push_indexed` leaves them, to be overwritten
    /// by index in any order.
    fn filled(len: usize, item: T) -> Self {
        let per_block = <Vec<T> as Block>::ITEMS;
        let blocks = (0..len.div_ceil(per_block))
            .map(|b| vec![item; per_block.min(len - b * per_block)])
            .collect();
        Blocks { blocks }
    }

    fn indexed(&self, index: usize) -> Option<&T> {
        let per_block = <Vec<T> as Block>::ITEMS;
        self.blocks.get(index / per_block)?.get(index % per_block)
    }

    /// Items pushed one by one with `push_indexed`: every block but the last is full.
    fn indexed_len(&self) -> usize {
        self.blocks.last().map_or(0, |last| {
            (self.blocks.len() - 1) * <Vec<T> as Block>::ITEMS + last.len()
        })
    }

    /// Keeps the first `len` items pushed with `push_indexed`, freeing the blocks past them.
    fn truncate_indexed(&mut self, len: usize) {
        let per_block = <Vec<T> as Block>::ITEMS;
        let blocks = len.div_ceil(per_block);
        self.blocks.truncate(blocks);
        if let Some(last) = self.blocks.last_mut() {
            last.truncate(len - (blocks - 1) * per_block);
        }
    }
}

/// Item `index` of items pushed with `push_indexed`; out of range panics, as a slice does.
impl<T: Copy> std::ops::Index<usize> for Blocks<Vec<T>> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        let per_block = <Vec<T> as Block>::ITEMS;
        &self.blocks[index / per_block][index % per_block]
    }
}

impl<T: Copy> std::ops::IndexMut<usize> for Blocks<Vec<T>> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        let per_block = <Vec<T> as Block>::ITEMS;
        &mut self.blocks[index / per_block][index % per_block]
    }
}

impl Blocks<String> {
    /// Stores `parts` back to back as one run; the lengths say where each ends. A text past
    /// four gigabytes is cut at a character boundary (no label or value is anywhere near that).
    fn push_strs<const N: usize>(&mut self, parts: [&str; N]) -> ((u32, u32), [u32; N]) {
        let parts = parts.map(|part| {
            let mut end = part.len().min(u32::MAX as usize);
            while !part.is_char_boundary(end) {
                end -= 1;
            }
            &part[..end]
        });
        let at = self.start_run(parts.iter().map(|p| p.len()).sum());
        if let Some(block) = self.blocks.last_mut() {
            parts.iter().for_each(|part| block.push_str(part));
        }
        (at, parts.map(|p| p.len() as u32))
    }

    fn run(&self, (block, offset): (u32, u32), len: usize) -> &str {
        let offset = offset as usize;
        self.blocks
            .get(block as usize)
            .and_then(|b| b.get(offset..offset + len))
            .unwrap_or("")
    }
}

/// A stretch of the text arena.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct TextRef {
    block: u32,
    offset: u32,
    len: u32,
}

/// `StoredElement::masked` of an element whose masked value is not kept.
const NOT_KEPT: u32 = u32::MAX;

/// One distinct value in a record: 22 bytes, since a scan holds one per value per record (6.9
/// million on the 1 GiB bench share). Its fields align to two bytes, so none pads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredElement {
    /// The rule's index: a scan takes at most 65,536 rules.
    pub detector: u16,
    pub fingerprint: [u8; 16],
    /// Index into `RecordStore::masked`, or `NOT_KEPT`, as high and low halves.
    masked: [u16; 2],
}

impl StoredElement {
    /// An element of rule `detector`, which is below 65,536 (a scan refuses more rules).
    fn new(detector: u32, fingerprint: [u8; 16], masked: u32) -> StoredElement {
        StoredElement {
            detector: detector as u16,
            fingerprint,
            masked: [(masked >> 16) as u16, masked as u16],
        }
    }

    /// Index of the masked value in the store (`RecordStore::masked_at`): equal masked values
    /// share one.
    pub fn masked_index(&self) -> u32 {
        (u32::from(self.masked[0]) << 16) | u32::from(self.masked[1])
    }

    /// The element as the spill keeps it, with the masked index `masked`: rule index,
    /// fingerprint, masked index, little-endian.
    fn to_spilled(self, masked: u32) -> [u8; SPILLED_ELEMENT] {
        let mut bytes = [0u8; SPILLED_ELEMENT];
        bytes[..2].copy_from_slice(&self.detector.to_le_bytes());
        bytes[2..18].copy_from_slice(&self.fingerprint);
        bytes[18..].copy_from_slice(&masked.to_le_bytes());
        bytes
    }

    /// Reads back what `to_spilled` wrote (`bytes` is `SPILLED_ELEMENT` long).
    fn from_spilled(bytes: &[u8]) -> StoredElement {
        let mut detector = [0u8; 2];
        let mut fingerprint = [0u8; 16];
        let mut masked = [0u8; 4];
        detector.copy_from_slice(&bytes[..2]);
        fingerprint.copy_from_slice(&bytes[2..18]);
        masked.copy_from_slice(&bytes[18..SPILLED_ELEMENT]);
        StoredElement::new(
            u16::from_le_bytes(detector).into(),
            fingerprint,
            u32::from_le_bytes(masked),
        )
    }
}

/// A spilled record's fixed part, before its label, location and elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SpilledHeader {
    path: u32,
    offset: u64,
    label_len: u32,
    location_len: u32,
    elements_len: u32,
}

impl SpilledHeader {
    fn to_bytes(self) -> [u8; SPILLED_HEADER] {
        let mut bytes = [0u8; SPILLED_HEADER];
        bytes[..4].copy_from_slice(&self.path.to_le_bytes());
        bytes[4..12].copy_from_slice(&self.offset.to_le_bytes());
        bytes[12..16].copy_from_slice(&self.label_len.to_le_bytes());
        bytes[16..20].copy_from_slice(&self.location_len.to_le_bytes());
        bytes[20..].copy_from_slice(&self.elements_len.to_le_bytes());
        bytes
    }

    fn from_bytes(bytes: &[u8; SPILLED_HEADER]) -> SpilledHeader {
        let u32_at = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let mut offset = [0u8; 8];
        offset.copy_from_slice(&bytes[4..12]);
        SpilledHeader {
            path: u32_at(0),
            offset: u64::from_le_bytes(offset),
            label_len: u32_at(12),
            location_len: u32_at(16),
            elements_len: u32_at(20),
        }
    }
}

/// One record: 40 bytes. Its label and location stand back to back in the text arena, so one
/// place serves both; its top-level file is its path's (`RecordStore::groups`).
#[derive(Debug, Clone, Copy, Default)]
struct StoredRecord {
    path: u32,
    text_at: (u32, u32),
    label_len: u32,
    location_len: u32,
    offset: u64,
    elements_at: (u32, u32),
    elements_len: u32,
}

impl StoredRecord {
    fn label(&self) -> TextRef {
        TextRef {
            block: self.text_at.0,
            offset: self.text_at.1,
            len: self.label_len,
        }
    }

    fn location(&self) -> TextRef {
        TextRef {
            block: self.text_at.0,
            offset: self.text_at.1.saturating_add(self.label_len),
            len: self.location_len,
        }
    }
}

/// A record once `finish` has ordered it: 12 bytes, what the people pass and the tables read.
/// Its position in the file no longer matters, and its label and location, and its elements,
/// stand in record order (`RecordStore::texts`, `RecordStore::ordered_elements`), so their
/// lengths say where they are. A label or location of `LONG_TEXT` bytes or more is told by
/// `LONG_TEXT` in both lengths, and its lengths are in `RecordStore::long_texts`.
#[derive(Debug, Clone, Copy)]
struct OrderedRecord {
    path: u32,
    elements_len: u32,
    label_len: u16,
    location_len: u16,
}

/// Lengths of a label or location that an ordered record keeps aside.
const LONG_TEXT: u16 = u16::MAX;

/// Where one appended batch's records stand: in memory from `start`, or in the spill from
/// `start` until `read_back` places them in memory and says where.
#[derive(Debug, Clone, Copy)]
struct AppendedBatch {
    spilled: bool,
    start: u32,
    len: u32,
    /// The top-level file of its first record (interned path).
    file: u32,
}

/// A top-level file whose records one batch holds, whole and in output order: (the file's
/// rank among paths, the batch's first record, its number of records).
type SettledRun = (u32, u32, u32);

/// `finish`'s marks per top-level file, by interned path: no batch yet, several (or records
/// pushed one by one), or the one batch that holds it.
const NO_BATCH: u32 = u32::MAX;
const SEVERAL_BATCHES: u32 = u32::MAX - 1;

/// Labels and locations of the ordered records, back to back in record order.
#[derive(Debug)]
enum OrderedTexts {
    Memory(String),
    /// The scan's store (`RecordStore::spilling`): only records.csv reads them, a stretch of
    /// records at a time, and on the 1 GiB bench share they held 45 MB through the people pass.
    Disk(File),
}

/// Every this many ordered records, where the next one's text starts.
const TEXT_STRIDE: usize = 1024;

/// The ordered records' elements, back to back in record order.
#[derive(Debug)]
enum OrderedElements {
    Memory(Vec<StoredElement>),
    /// The scan's store (`RecordStore::spilling`), read through `ElementReader` a stretch of
    /// records at a time: on the 1 GiB bench share they were 151 MB, the largest array of the
    /// people pass. With the file, its length in elements.
    Disk(File, u64),
}

/// Every this many ordered records, where the next one's elements start: the people pass
/// also reads records out of order (a person's), each adding up at most this many lengths.
const ELEMENT_STRIDE: usize = 64;

/// The records of a scan, in output order once `finish` has run.
#[derive(Debug, Default)]
pub struct RecordStore {
    paths: Vec<Arc<str>>,
    path_ids: HashMap<Arc<str>, u32>,
    /// Per interned path, the interned path of its top-level file: an item never changes
    /// files, so records need not carry it (eight bytes each with padding).
    groups: Vec<u32>,
    /// Labels and locations, as UTF-8, until `finish` puts them in record order in `texts`.
    text: Blocks<String>,
    /// The kept masked values, as UTF-8: only identifiers keep theirs, and each distinct one
    /// is kept once.
    masks: Blocks<String>,
    /// Where each kept masked value stands in `masks`.
    masked: Blocks<Vec<TextRef>>,
    /// Indices into `masked`, found by their text. Masks repeat far more than they differ (a
    /// 1 GiB share kept 4 million for 27 thousand distinct ones), and a scan held each again.
    masked_ids: hashbrown::HashTable<u32>,
    /// Seeded per store: masks come from the input, whose values could be chosen to collide.
    masked_hasher: foldhash::fast::RandomState,
    /// In blocks too, pushed one by one: a growing vector of records held its old and new copy
    /// at the end of a large share's walk (50 + 100 MB on the 1 GiB bench share).
    records: Blocks<Vec<StoredRecord>>,
    elements: Blocks<Vec<StoredElement>>,
    /// Each appended batch's records, in the order appended. A batch's records come in output
    /// order, each (path, label) once (`record_parts`), so `finish` sorts no record of a
    /// top-level file that one batch holds whole: on a share of many files, that is nearly all.
    batches: Vec<AppendedBatch>,
    /// Records written to the spill so far: where the next spilled batch starts in it.
    spilled_records: u32,
    /// Whether appended records wait on disk until `finish` (`RecordStore::spilling`).
    spills: bool,
    /// Records appended while the store spills, in the order they came; created on first use.
    spilled: Option<SpillFiles>,
    /// Elements written to the spill's elements file so far.
    spilled_elements: u64,
    /// Once the spill is read back, the records' elements, which ordering does not need: they
    /// stay on disk, each record's at the element index its `elements_at` gives (high and low
    /// halves), with their count in elements.
    unordered_elements: Option<(File, u64)>,
    /// The records once `finish` has merged and ordered them; what the accessors read.
    ordered: Blocks<Vec<OrderedRecord>>,
    /// Their labels and locations, once ordered.
    texts: Option<OrderedTexts>,
    /// Where the text of every `TEXT_STRIDE`-th ordered record starts in `texts`.
    text_starts: Vec<u64>,
    /// The label and location lengths of ordered records whose lengths do not fit theirs
    /// (`LONG_TEXT`), by record, in record order.
    long_texts: Vec<(u32, u32, u32)>,
    /// Their elements, once ordered.
    ordered_elements: Option<OrderedElements>,
    /// Where the elements of every `ELEMENT_STRIDE`-th ordered record start.
    element_starts: Vec<u64>,
    /// The first failure to read `ordered_elements`, kept for `read_failure`: readers run
    /// inside the people pass's parallel loops, which read on and give no elements.
    read_failed: Mutex<Option<io::Error>>,
}

/// Where appended records wait while the store spills: each record's fixed part, label and
/// location in one file, and its elements in another, already in the form `unordered_elements`
/// reads, so that reading the spill back copies no element.
#[derive(Debug)]
struct SpillFiles {
    records: BufWriter<File>,
    elements: BufWriter<File>,
}

/// Bytes of a spilled record's fixed part: path, offset, and the lengths of its label,
/// location and elements.
const SPILLED_HEADER: usize = 24;
/// Bytes of a spilled element: rule index, fingerprint, masked value's index.
const SPILLED_ELEMENT: usize = 22;
/// The spill is written and read in pieces of this size.
const SPILL_BUFFER: usize = 1 << 20;

impl RecordStore {
    /// A store whose appended records wait on disk, in an unlinked temporary file, until
    /// `finish` reads them back. The scan's store is one: during the walk it held 290 MB of
    /// records on the 1 GiB bench share, on top of what the walk itself needs.
    pub fn spilling() -> RecordStore {
        RecordStore {
            spills: true,
            ..RecordStore::default()
        }
    }

    fn intern(&mut self, path: &Arc<str>) -> u32 {
        if let Some(&id) = self.path_ids.get(path) {
            return id;
        }
        let id = self.paths.len() as u32;
        self.paths.push(Arc::clone(path));
        self.path_ids.insert(Arc::clone(path), id);
        self.groups.push(id);
        id
    }

    /// Interns an item's path and that of its top-level file, and says which is whose.
    fn intern_item(&mut self, group: &Arc<str>, path: &Arc<str>) -> u32 {
        let group = self.intern(group);
        let path = self.intern(path);
        if let Some(slot) = self.groups.get_mut(path as usize) {
            *slot = group;
        }
        path
    }

    /// The interned path of the top-level file holding the item `path`.
    fn group_of(&self, path: u32) -> u32 {
        self.groups.get(path as usize).copied().unwrap_or(path)
    }

    /// Gives the index in `masked` of a masked value, storing it if it is new, or `NOT_KEPT`
    /// past four billion (far more than memory holds: the value would show empty rather than
    /// fail the scan).
    fn keep_masked(&mut self, masked: &str) -> u32 {
        let hasher = &self.masked_hasher;
        let hash = hasher.hash_one(masked);
        let (masks, kept) = (&self.masks, &self.masked);
        if let Some(&id) = self
            .masked_ids
            .find(hash, |&id| masked_text(masks, kept, id) == masked)
        {
            return id;
        }
        let ((block, offset), [len]) = self.masks.push_strs([masked]);
        let index = self.masked.push_indexed(TextRef { block, offset, len });
        let Some(id) = u32::try_from(index).ok().filter(|&i| i != NOT_KEPT) else {
            return NOT_KEPT;
        };
        let (masks, kept, hasher) = (&self.masks, &self.masked, &self.masked_hasher);
        self.masked_ids.insert_unique(hash, id, |&id| {
            hasher.hash_one(masked_text(masks, kept, id))
        });
        id
    }

    fn text_of(&self, r: TextRef) -> &str {
        self.text.run((r.block, r.offset), r.len as usize)
    }

    /// Adds one batch's part of a record. `keep_masked` says which elements' masked values are
    /// worth keeping (identifiers shown in individuals.csv); the rest keep none.
    pub fn push(&mut self, part: &RecordPart, keep_masked: impl Fn(u32) -> bool) {
        let path = self.intern_item(&part.group, &part.path);
        let (text_at, [label_len, location_len]) =
            self.text.push_strs([&part.record, &part.location]);
        let elements_at = self.elements.start_run(part.elements.len());
        for element in &part.elements {
            let masked = if keep_masked(element.detector) {
                self.keep_masked(&element.masked)
            } else {
                NOT_KEPT
            };
            self.elements.push_to_run(StoredElement::new(
                element.detector,
                element.fingerprint,
                masked,
            ));
        }
        self.records.push_indexed(StoredRecord {
            path,
            text_at,
            label_len,
            location_len,
            offset: part.offset,
            elements_at,
            elements_len: part.elements.len() as u32,
        });
    }

    /// Appends the records of another store (one batch's), record by record, into this
    /// store's blocks, or to its spill (`RecordStore::spilling`). Fails only when the spill
    /// cannot be written.
    pub fn append(&mut self, other: RecordStore) -> io::Result<()> {
        let ids: Vec<u32> = other.paths.iter().map(|p| self.intern(p)).collect();
        let id = |old: u32| ids.get(old as usize).copied().unwrap_or(old);
        for (old, &group) in other.groups.iter().enumerate() {
            if let Some(slot) = self.groups.get_mut(id(old as u32) as usize) {
                *slot = id(group);
            }
        }
        // Each distinct masked value of the batch is looked up once, not once per element.
        let masked_ids: Vec<u32> = other
            .masked
            .blocks
            .iter()
            .flatten()
            .map(|&kept| {
                self.keep_masked(
                    other
                        .masks
                        .run((kept.block, kept.offset), kept.len as usize),
                )
            })
            .collect();
        let masked_id = |e: &StoredElement| {
            masked_ids
                .get(e.masked_index() as usize)
                .copied()
                .unwrap_or(NOT_KEPT)
        };
        let len = other.records.indexed_len() as u32;
        let file = other
            .records
            .indexed(0)
            .map_or(0, |first| id(other.group_of(first.path)));
        if self.spills {
            self.batches.push(AppendedBatch {
                spilled: true,
                start: self.spilled_records,
                len,
                file,
            });
            self.spilled_records = self.spilled_records.saturating_add(len);
            return self.spill(&other, id, masked_id);
        }
        self.batches.push(AppendedBatch {
            spilled: false,
            start: self.records.indexed_len() as u32,
            len,
            file,
        });
        for r in other.records.blocks.iter().flatten() {
            let elements = other.elements.run(r.elements_at, r.elements_len as usize);
            self.push_stored(
                id(r.path),
                [other.text_of(r.label()), other.text_of(r.location())],
                r.offset,
                elements
                    .iter()
                    .map(|e| StoredElement::new(e.detector.into(), e.fingerprint, masked_id(e))),
            );
        }
        Ok(())
    }

    /// Adds one record whose path and masked values are already this store's.
    fn push_stored(
        &mut self,
        path: u32,
        [label, location]: [&str; 2],
        offset: u64,
        elements: impl ExactSizeIterator<Item = StoredElement>,
    ) {
        let (text_at, [label_len, location_len]) = self.text.push_strs([label, location]);
        let elements_len = elements.len() as u32;
        let elements_at = self.elements.start_run(elements.len());
        elements.for_each(|e| self.elements.push_to_run(e));
        self.records.push_indexed(StoredRecord {
            path,
            text_at,
            label_len,
            location_len,
            offset,
            elements_at,
            elements_len,
        });
    }

    /// Writes the records of `other` (a batch's store) to the spill, with this store's path
    /// and masked-value indices; only paths and distinct masked values stay in memory.
    fn spill(
        &mut self,
        other: &RecordStore,
        path_id: impl Fn(u32) -> u32,
        masked_id: impl Fn(&StoredElement) -> u32,
    ) -> io::Result<()> {
        let spill = match &mut self.spilled {
            Some(spill) => spill,
            None => self.spilled.insert(SpillFiles {
                records: spill_file()?,
                elements: spill_file()?,
            }),
        };
        for r in other.records.blocks.iter().flatten() {
            let (label, location) = (other.text_of(r.label()), other.text_of(r.location()));
            let elements = other.elements.run(r.elements_at, r.elements_len as usize);
            let header = SpilledHeader {
                path: path_id(r.path),
                offset: r.offset,
                label_len: label.len() as u32,
                location_len: location.len() as u32,
                elements_len: elements.len() as u32,
            };
            spill.records.write_all(&header.to_bytes())?;
            spill.records.write_all(label.as_bytes())?;
            spill.records.write_all(location.as_bytes())?;
            for e in elements {
                spill.elements.write_all(&e.to_spilled(masked_id(e)))?;
            }
            self.spilled_elements += elements.len() as u64;
        }
        Ok(())
    }

    /// Reads the spilled records back into memory, after those already there, in the order
    /// they were appended, and removes the spill. Their elements stay in the spill's elements
    /// file, which becomes `unordered_elements`; those of the records already in memory are
    /// written after them.
    fn read_back(&mut self, rank: &[u32]) -> io::Result<()> {
        let Some(spill) = self.spilled.take() else {
            return Ok(());
        };
        let mut file = spill.records.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        let mut reader = BufReader::with_capacity(SPILL_BUFFER, file);
        let mut elements_out = spill.elements;
        let mut written = self.spilled_elements;
        for r in self.records.blocks.iter_mut().flatten() {
            let run = self.elements.run(r.elements_at, r.elements_len as usize);
            for e in run {
                elements_out.write_all(&e.to_spilled(e.masked_index()))?;
            }
            r.elements_at = split_index(written);
            written += u64::from(r.elements_len);
        }
        self.elements = Blocks::default();
        let total = written;
        written = 0;
        let mut header = [0u8; SPILLED_HEADER];
        let mut text = Vec::new();
        let mut read_record = |reader: &mut BufReader<File>, texts: &mut Blocks<String>| {
            reader.read_exact(&mut header)?;
            let header = SpilledHeader::from_bytes(&header);
            let label_len = header.label_len as usize;
            text.resize(label_len + header.location_len as usize, 0);
            reader.read_exact(&mut text)?;
            let (label, location) = text.split_at(label_len);
            let (Ok(label), Ok(location)) =
                (std::str::from_utf8(label), std::str::from_utf8(location))
            else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a spilled record's text is not UTF-8",
                ));
            };
            let (text_at, [label_len, location_len]) = texts.push_strs([label, location]);
            let record = StoredRecord {
                path: header.path,
                text_at,
                label_len,
                location_len,
                offset: header.offset,
                elements_at: split_index(written),
                elements_len: header.elements_len,
            };
            written += u64::from(header.elements_len);
            Ok(record)
        };
        match (self.records.indexed_len() == 0).then_some(rank) {
            // Only spilled records: each batch is read into its top-level file's place, so
            // ordering moves almost nothing. `batches` then says where each batch stands.
            Some(rank) => {
                let mut placed: Vec<usize> = (0..self.batches.len()).collect();
                placed.sort_by_key(|&b| rank.get(self.batches[b].file as usize).copied());
                let mut start = vec![0u32; self.batches.len()];
                let mut next = 0u32;
                for b in placed {
                    start[b] = next;
                    next = next.saturating_add(self.batches[b].len);
                }
                self.records = Blocks::filled(next as usize, StoredRecord::default());
                for (batch, &start) in self.batches.iter_mut().zip(&start) {
                    for r in start..start.saturating_add(batch.len) {
                        self.records[r as usize] = read_record(&mut reader, &mut self.text)?;
                    }
                    (batch.spilled, batch.start) = (false, start);
                }
                if !reader.fill_buf()?.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the spill holds more records than its batches",
                    ));
                }
            }
            None => {
                let in_memory = self.records.indexed_len() as u32;
                // A record starts wherever the spill has more: a spill cut short fails
                // `read_exact`.
                while !reader.fill_buf()?.is_empty() {
                    let record = read_record(&mut reader, &mut self.text)?;
                    self.records.push_indexed(record);
                }
                for batch in self.batches.iter_mut().filter(|b| b.spilled) {
                    (batch.spilled, batch.start) = (false, batch.start.saturating_add(in_memory));
                }
            }
        }
        if written != self.spilled_elements {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the spilled records do not account for their elements",
            ));
        }
        let file = elements_out.into_inner().map_err(|e| e.into_error())?;
        self.unordered_elements = Some((file, total));
        Ok(())
    }

    /// Reads back any spilled records, each batch into its top-level file's place, merges parts
    /// of one record that came in several batches and orders records by top-level file, path
    /// and position, so the same input gives the same output. Works in place: the extra memory
    /// is at most five bytes per record at a time (the order, and a flag per slot), since on
    /// one huge file the records are most of what the scan holds. Nothing is sorted by label:
    /// a file that one batch holds whole is in order already, and the records of the other
    /// files are sorted by position once their repeated parts, found by a hash of path and
    /// label, are merged. Fails only when the spill cannot be read back or the labels written
    /// out. Runs once, after the last `append`: a second call changes nothing.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.texts.is_some() {
            return Ok(());
        }
        // Paths compared once, as ranks: a million records sort on integers, not strings.
        let rank = self.path_ranks();
        self.read_back(&rank)?;
        let settled = self.settled_runs(&rank);
        let mut settled_file = vec![false; self.paths.len()];
        for &(_, start, _) in &settled {
            let group = self.group_of(self.records[start as usize].path);
            settled_file[group as usize] = true;
        }
        // By path, so that it reads nothing of the store while records change.
        let settled_path: Vec<bool> = (0..self.paths.len() as u32)
            .map(|p| settled_file[self.group_of(p) as usize])
            .collect();
        drop(settled_file);
        let merged_away = self.merge_repeated_parts(&settled_path)?;
        let order = self.output_order(&settled, &rank, &settled_path, &merged_away);
        permute_in_place(&mut self.records, &order);
        let kept = self.records.indexed_len() - merged_away.count();
        drop(order);
        self.records.truncate_indexed(kept);
        self.keep_ordered()
    }

    /// Merges the parts of each record that came in several batches into its first part (in
    /// the order records came), and says which parts were merged away. A batch holds each
    /// (path, label) once, so only files of several batches (or of records pushed one by one)
    /// can repeat one: their records are hashed, and only those whose hash repeats compared.
    fn merge_repeated_parts(&mut self, settled_path: &[bool]) -> io::Result<RecordSet> {
        let total = self.records.indexed_len();
        let mut merged_away = RecordSet::with_len(total);
        let hash_of = |r: &StoredRecord| {
            // Four bytes per record, no more than the order takes after them: a collision
            // only costs a comparison of labels.
            self.masked_hasher
                .hash_one((r.path, self.text_of(r.label()))) as u32
        };
        let unsettled = |r: &usize| !settled_path[self.records[*r].path as usize];
        // Collected at their exact length (a filtered parallel collect holds its pieces and
        // their concatenation at once): settled records hash to `SETTLED`, dropped in place.
        const SETTLED: u32 = u32::MAX;
        let mut hashes: Vec<u32> = (0..total)
            .into_par_iter()
            .map(|r| match unsettled(&r) {
                true => hash_of(&self.records[r]).min(SETTLED - 1),
                false => SETTLED,
            })
            .collect();
        hashes.retain(|&h| h != SETTLED);
        hashes.par_sort_unstable();
        let mut repeated: Vec<u32> = hashes
            .windows(2)
            .filter(|pair| pair[0] == pair[1])
            .map(|pair| pair[0])
            .collect();
        drop(hashes);
        repeated.dedup();
        if repeated.is_empty() {
            return Ok(merged_away);
        }
        let mut candidates: Vec<u32> = (0..total)
            .into_par_iter()
            .filter(unsettled)
            .filter(|&r| repeated.binary_search(&hash_of(&self.records[r])).is_ok())
            .map(|r| r as u32)
            .collect();
        drop(repeated);
        candidates.sort_unstable_by(|&a, &b| {
            let (ra, rb) = (&self.records[a as usize], &self.records[b as usize]);
            (ra.path, self.text_of(ra.label()), a).cmp(&(rb.path, self.text_of(rb.label()), b))
        });
        let same_record = |a: u32, b: u32| {
            let (ra, rb) = (&self.records[a as usize], &self.records[b as usize]);
            ra.path == rb.path && self.text_of(ra.label()) == self.text_of(rb.label())
        };
        let mut repeats = Vec::new();
        let mut i = 0;
        while i < candidates.len() {
            let mut j = i + 1;
            while j < candidates.len() && same_record(candidates[i], candidates[j]) {
                j += 1;
            }
            if j > i + 1 {
                repeats.push(i..j);
            }
            i = j;
        }
        for repeat in repeats {
            let parts = &candidates[repeat];
            let record = self.merge(parts)?;
            self.records[parts[0] as usize] = record;
            parts[1..]
                .iter()
                .for_each(|&r| merged_away.insert(r as usize));
        }
        Ok(merged_away)
    }

    /// The order that puts records in output order (top-level file, path, position, label):
    /// each settled file's batch as it stands, the other files' records sorted, and the parts
    /// merged away last, to be dropped. Built in one vector: the sorted records first, then
    /// merged with the settled runs from the back.
    fn output_order(
        &self,
        settled: &[SettledRun],
        rank: &[u32],
        settled_path: &[bool],
        merged_away: &RecordSet,
    ) -> Vec<u32> {
        let total = self.records.indexed_len();
        // One vector of exactly one slot per record, grown in place to the whole order.
        let mut order: Vec<u32> = Vec::with_capacity(total);
        order.extend((0..total as u32).filter(|&r| {
            !settled_path[self.records[r as usize].path as usize]
                && !merged_away.contains(r as usize)
        }));
        let file_rank = |r: u32| rank[self.group_of(self.records[r as usize].path) as usize];
        // (path, label) is unique once parts are merged, so an unstable sort is deterministic.
        order.par_sort_unstable_by(|&a, &b| {
            let (ra, rb) = (&self.records[a as usize], &self.records[b as usize]);
            (file_rank(a), rank[ra.path as usize], ra.offset)
                .cmp(&(file_rank(b), rank[rb.path as usize], rb.offset))
                .then_with(|| self.text_of(ra.label()).cmp(self.text_of(rb.label())))
        });
        let mut unsettled = order.len();
        let kept = unsettled
            + settled
                .iter()
                .map(|&(_, _, len)| len as usize)
                .sum::<usize>();
        order.resize(kept, 0);
        let mut write = kept;
        for &(file, start, len) in settled.iter().rev() {
            while unsettled > 0 && file_rank(order[unsettled - 1]) > file {
                unsettled -= 1;
                write -= 1;
                order[write] = order[unsettled];
            }
            for r in (start..start + len).rev() {
                write -= 1;
                order[write] = r;
            }
        }
        order.extend(merged_away.iter().map(|r| r as u32));
        order
    }

    /// The batches that hold a top-level file alone, whole and already in output order (path
    /// rank, then position, then label, each (path, label) once), as `SettledRun`s sorted by
    /// the file's rank. Records pushed one by one, and files that came in several batches,
    /// are left to be sorted. Runs after `read_back`, when every batch stands in memory.
    fn settled_runs(&self, rank: &[u32]) -> Vec<SettledRun> {
        let mut owner = vec![NO_BATCH; self.paths.len()];
        let total = self.records.indexed_len() as u32;
        let mut batches: Vec<(u32, u32)> = self
            .batches
            .iter()
            .map(|b| (b.start.min(total), b.start.saturating_add(b.len).min(total)))
            .filter(|(start, end)| start < end)
            .collect();
        batches.sort_unstable();
        let mut covered = 0u32;
        let mark_several = |owner: &mut [u32], records: std::ops::Range<u32>| {
            for r in records {
                let group = self.group_of(self.records[r as usize].path);
                owner[group as usize] = SEVERAL_BATCHES;
            }
        };
        for (b, &(start, end)) in batches.iter().enumerate() {
            mark_several(&mut owner, covered.min(start)..start);
            covered = covered.max(end);
            let group = self.group_of(self.records[start as usize].path);
            let one_file =
                (start..end).all(|r| self.group_of(self.records[r as usize].path) == group);
            if !one_file {
                mark_several(&mut owner, start..end);
                continue;
            }
            owner[group as usize] = match owner[group as usize] {
                NO_BATCH => b as u32,
                _ => SEVERAL_BATCHES,
            };
        }
        mark_several(&mut owner, covered..total);
        let mut settled: Vec<SettledRun> = batches
            .par_iter()
            .enumerate()
            .filter_map(|(b, &(start, end))| {
                let group = self.group_of(self.records[start as usize].path);
                (owner[group as usize] == b as u32 && self.in_output_order(start..end, rank))
                    .then_some((rank[group as usize], start, end - start))
            })
            .collect();
        settled.sort_unstable();
        settled
    }

    /// Whether `records` stand in output order within their file, each (path, label) once.
    fn in_output_order(&self, records: std::ops::Range<u32>, rank: &[u32]) -> bool {
        let mut labels: foldhash::HashSet<&str> = foldhash::HashSetExt::new();
        let mut previous: Option<StoredRecord> = None;
        for r in records {
            let record = self.records[r as usize];
            let label = self.text_of(record.label());
            if let Some(before) = previous {
                let ordered = (rank[before.path as usize], before.offset)
                    .cmp(&(rank[record.path as usize], record.offset))
                    .then_with(|| self.text_of(before.label()).cmp(label));
                if ordered != std::cmp::Ordering::Less {
                    return false;
                }
                if before.path != record.path {
                    labels.clear();
                }
            }
            if !labels.insert(label) {
                return false;
            }
            previous = Some(record);
        }
        true
    }

    /// Turns the sorted records into their ordered form, block by block, so the two are never
    /// held whole at once, and writes their texts and elements in record order: to disk when
    /// the store spills. Each block's texts and its elements go out side by side, on two
    /// cores where there are two: on one thread, this took 0.2 s of the 1 GiB bench share's
    /// ordering with the other core idle.
    fn keep_ordered(&mut self) -> io::Result<()> {
        let mut texts = OrderedTextsWriter {
            disk: self.spills.then(spill_file).transpose()?,
            memory: String::new(),
            position: 0,
            starts: std::mem::take(&mut self.text_starts),
            long_texts: std::mem::take(&mut self.long_texts),
            ordered: std::mem::take(&mut self.ordered),
        };
        let mut elements = OrderedElementsWriter {
            disk: self.spills.then(spill_file).transpose()?,
            memory: Vec::new(),
            written: 0,
            starts: std::mem::take(&mut self.element_starts),
            unordered: self.unordered_elements.take(),
            window: ElementWindow::default(),
            raw: RawWindow::default(),
        };
        let mut first = 0usize;
        let blocks = std::mem::take(&mut self.records.blocks);
        for block in blocks {
            // The block turned last is freed: handed back at once, since the allocator would
            // keep it for a while (ordering peaked 10 MB higher on the 1 GiB bench share).
            crate::memory::release_freed_here();
            let (written_texts, written_elements) = rayon::join(
                || texts.write_block(&self.text, &block, first),
                || elements.write_block(&self.elements, &block, first),
            );
            written_texts?;
            written_elements?;
            first += block.len();
        }
        self.text_starts = texts.starts;
        self.long_texts = texts.long_texts;
        self.ordered = texts.ordered;
        self.element_starts = elements.starts;
        self.texts = Some(match texts.disk {
            Some(writer) => OrderedTexts::Disk(writer.into_inner().map_err(|e| e.into_error())?),
            None => OrderedTexts::Memory(texts.memory),
        });
        self.text = Blocks::default();
        self.ordered_elements = Some(match elements.disk {
            Some(writer) => OrderedElements::Disk(
                writer.into_inner().map_err(|e| e.into_error())?,
                elements.written,
            ),
            None => OrderedElements::Memory(elements.memory),
        });
        self.elements = Blocks::default();
        Ok(())
    }

    /// For each interned path, its position in byte order of the paths.
    fn path_ranks(&self) -> Vec<u32> {
        let mut by_name: Vec<u32> = (0..self.paths.len() as u32).collect();
        by_name.sort_unstable_by(|&a, &b| self.path(a).cmp(self.path(b)));
        let mut rank = vec![0u32; self.paths.len()];
        for (position, &id) in by_name.iter().enumerate() {
            rank[id as usize] = position as u32;
        }
        rank
    }

    /// One record from the parts in `parts` (records of one path and label, in the order they
    /// came): their elements, distinct, appended anew; the first part nearest the start gives
    /// the offset and location.
    fn merge(&mut self, parts: &[u32]) -> io::Result<StoredRecord> {
        let Some(&first) = parts.first() else {
            return Err(io::Error::other("a record of no parts"));
        };
        let mut combined = self.records[first as usize];
        let mut elements: Vec<StoredElement> = Vec::new();
        let mut window = ElementWindow::default();
        for &p in parts {
            let part = self.records[p as usize];
            if part.offset < combined.offset {
                combined = part;
            }
            let unordered = self.unordered_elements.as_ref();
            elements.extend_from_slice(unordered_run(
                unordered,
                &self.elements,
                &mut window,
                &part,
            )?);
        }
        // The order and the masked value kept are those of one part holding all the findings
        // (`record_parts`), so where a file was cut into parts never shows.
        elements.sort_by(|a, b| {
            (a.detector, a.fingerprint)
                .cmp(&(b.detector, b.fingerprint))
                .then_with(|| self.masked(a).cmp(self.masked(b)))
        });
        elements.dedup_by(|a, b| a.detector == b.detector && a.fingerprint == b.fingerprint);
        combined.elements_at = match &mut self.unordered_elements {
            Some((file, len)) => {
                let bytes: Vec<u8> = elements
                    .iter()
                    .flat_map(|e| e.to_spilled(e.masked_index()))
                    .collect();
                file.write_all_at(&bytes, *len * SPILLED_ELEMENT as u64)?;
                let at = split_index(*len);
                *len += elements.len() as u64;
                at
            }
            None => self.elements.push_run(&elements),
        };
        combined.elements_len = elements.len() as u32;
        Ok(combined)
    }

    /// Every interned path (items and top-level files), indexed by `path_id`.
    pub fn paths(&self) -> &[Arc<str>] {
        &self.paths
    }

    fn path(&self, id: u32) -> &str {
        self.paths.get(id as usize).map_or("", |p| p)
    }

    /// Records once `finish` has run (none before).
    pub fn len(&self) -> usize {
        self.ordered.indexed_len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The record's item (`share/a.zip!b.csv`).
    pub fn path_of(&self, record: usize) -> &str {
        self.ordered
            .indexed(record)
            .map_or("", |r| self.path(r.path))
    }

    /// A number that is equal for records of the same item, for counting files cheaply.
    pub fn path_id(&self, record: usize) -> u32 {
        self.ordered.indexed(record).map_or(u32::MAX, |r| r.path)
    }

    /// The labels and locations of the ordered records in `records`, read together: on disk,
    /// in one read.
    pub fn texts(&self, records: std::ops::Range<usize>) -> io::Result<Texts<'_>> {
        let end = records.end.min(self.len());
        let first = records.start.min(end);
        let stride = first / TEXT_STRIDE;
        let mut start = self.text_starts.get(stride).copied().unwrap_or(0);
        let text_len = |r: usize| {
            let (label, location) = self.text_lens(r);
            (label + location) as u64
        };
        for r in stride * TEXT_STRIDE..first {
            start += text_len(r);
        }
        let len: u64 = (first..end).map(text_len).sum();
        let len = usize::try_from(len).map_err(|_| io::ErrorKind::OutOfMemory)?;
        let text = match &self.texts {
            Some(OrderedTexts::Disk(file)) => {
                let mut bytes = vec![0; len];
                file.read_exact_at(&mut bytes, start)?;
                String::from_utf8(bytes).map_err(|_| {
                    io::Error::new(io::ErrorKind::InvalidData, "a record's label is not UTF-8")
                })?
            }
            Some(OrderedTexts::Memory(text)) => usize::try_from(start)
                .ok()
                .and_then(|start| text.get(start..start + len))
                .unwrap_or("")
                .to_string(),
            None => String::new(),
        };
        Ok(Texts {
            store: self,
            next_at: 0,
            next: first,
            text,
        })
    }

    /// The lengths of ordered record `record`'s label and location.
    fn text_lens(&self, record: usize) -> (usize, usize) {
        let Some(r) = self.ordered.indexed(record) else {
            return (0, 0);
        };
        if r.label_len != LONG_TEXT {
            return (usize::from(r.label_len), usize::from(r.location_len));
        }
        self.long_texts
            .binary_search_by_key(&(record as u32), |&(r, _, _)| r)
            .ok()
            .and_then(|i| self.long_texts.get(i))
            .map_or((0, 0), |&(_, label, location)| {
                (label as usize, location as usize)
            })
    }

    /// How many elements ordered record `record` holds.
    pub fn elements_len(&self, record: usize) -> usize {
        self.ordered
            .indexed(record)
            .map_or(0, |r| r.elements_len as usize)
    }

    /// True when the ordered records' elements are read from disk, where each read of a record
    /// out of order costs a system call.
    pub fn elements_on_disk(&self) -> bool {
        matches!(self.ordered_elements, Some(OrderedElements::Disk(..)))
    }

    /// A reader of the ordered records' elements; each thread takes its own.
    pub fn reader(&self) -> ElementReader<'_> {
        ElementReader {
            store: self,
            window: ElementWindow::default(),
            following: None,
            read_ahead_until: u64::MAX,
        }
    }

    /// A reader for a task that reads `records` in order: its windows stop at their last
    /// element, where the next task's records start (a pass in stretches read each
    /// stretch's last window past its end, up to half as much again as the elements).
    pub fn reader_within(&self, records: std::ops::Range<usize>) -> ElementReader<'_> {
        let read_ahead_until = if records.end < self.len() {
            self.element_start(records.end)
        } else {
            u64::MAX
        };
        ElementReader {
            read_ahead_until,
            ..self.reader()
        }
    }

    /// Where ordered record `record`'s elements start among the ordered elements.
    fn element_start(&self, record: usize) -> u64 {
        let stride = record / ELEMENT_STRIDE;
        let start = self.element_starts.get(stride).copied().unwrap_or(0);
        (stride * ELEMENT_STRIDE..record).fold(start, |start, r| {
            start
                + self
                    .ordered
                    .indexed(r)
                    .map_or(0, |r| u64::from(r.elements_len))
        })
    }

    /// The first failure to read the ordered elements back since the last call: readers give
    /// no elements after one, so a pass that read through them must check here.
    pub fn read_failure(&self) -> io::Result<()> {
        let failed = self
            .read_failed
            .lock()
            .map_or_else(|poisoned| poisoned.into_inner().take(), |mut f| f.take());
        failed.map_or(Ok(()), Err)
    }

    /// Keeps `error` for `read_failure`, if it is the first: a pass that reads or writes the
    /// people pass's files inside a rayon loop cannot return it.
    pub fn note_io_failure(&self, error: io::Error) {
        let mut failed = self
            .read_failed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        failed.get_or_insert(error);
    }

    pub fn masked(&self, element: &StoredElement) -> &str {
        self.masked_at(element.masked_index())
    }

    /// The masked value of index `index` (`StoredElement::masked_index`).
    pub fn masked_at(&self, index: u32) -> &str {
        masked_text(&self.masks, &self.masked, index)
    }
}

/// The kept masked value `id` (empty for `NOT_KEPT`), read from the fields that hold it, so
/// that the table of ids can look values up while it changes.
fn masked_text<'s>(masks: &'s Blocks<String>, masked: &Blocks<Vec<TextRef>>, id: u32) -> &'s str {
    if id == NOT_KEPT {
        return "";
    }
    masked
        .indexed(id as usize)
        .map_or("", |r| masks.run((r.block, r.offset), r.len as usize))
}

/// The ordered records' texts as `keep_ordered` writes them: the records' fixed parts, and
/// their labels and locations back to back.
struct OrderedTextsWriter {
    disk: Option<BufWriter<File>>,
    memory: String,
    /// Bytes of text written so far.
    position: u64,
    starts: Vec<u64>,
    long_texts: Vec<(u32, u32, u32)>,
    ordered: Blocks<Vec<OrderedRecord>>,
}

impl OrderedTextsWriter {
    /// Writes `block`'s texts, its first record being ordered record `first`.
    fn write_block(
        &mut self,
        text: &Blocks<String>,
        block: &[StoredRecord],
        first: usize,
    ) -> io::Result<()> {
        let text_of = |t: TextRef| text.run((t.block, t.offset), t.len as usize);
        for (ordered, r) in (first..).zip(block) {
            let (label, location) = (text_of(r.label()), text_of(r.location()));
            if ordered.is_multiple_of(TEXT_STRIDE) {
                self.starts.push(self.position);
            }
            match &mut self.disk {
                Some(writer) => {
                    writer.write_all(label.as_bytes())?;
                    writer.write_all(location.as_bytes())?;
                }
                None => {
                    self.memory.push_str(label);
                    self.memory.push_str(location);
                }
            }
            self.position += (label.len() + location.len()) as u64;
            let short = |text: &str| u16::try_from(text.len()).ok().filter(|&n| n < LONG_TEXT);
            let (label_len, location_len) = match (short(label), short(location)) {
                (Some(label_len), Some(location_len)) => (label_len, location_len),
                _ => {
                    self.long_texts.push((
                        ordered as u32,
                        label.len() as u32,
                        location.len() as u32,
                    ));
                    (LONG_TEXT, LONG_TEXT)
                }
            };
            self.ordered.push_indexed(OrderedRecord {
                path: r.path,
                elements_len: r.elements_len,
                label_len,
                location_len,
            });
        }
        Ok(())
    }
}

/// The ordered records' elements as `keep_ordered` writes them, read from where the records
/// left them.
struct OrderedElementsWriter {
    disk: Option<BufWriter<File>>,
    memory: Vec<StoredElement>,
    /// Elements written so far.
    written: u64,
    starts: Vec<u64>,
    unordered: Option<(File, u64)>,
    window: ElementWindow,
    raw: RawWindow,
}

impl OrderedElementsWriter {
    /// Writes `block`'s elements, its first record being ordered record `first`.
    fn write_block(
        &mut self,
        elements: &Blocks<Vec<StoredElement>>,
        block: &[StoredRecord],
        first: usize,
    ) -> io::Result<()> {
        for (ordered, r) in (first..).zip(block) {
            if ordered.is_multiple_of(ELEMENT_STRIDE) {
                self.starts.push(self.written);
            }
            match (&mut self.disk, &self.unordered) {
                // The spill holds the elements in the form they are written in: copied as they
                // are, not decoded and encoded again one by one.
                (Some(writer), Some((file, until))) => {
                    let start = joined_index(r.elements_at);
                    let len = u64::from(r.elements_len);
                    writer.write_all(self.raw.run(file, *until, start, len)?)?;
                }
                (disk, unordered) => {
                    let run = unordered_run(unordered.as_ref(), elements, &mut self.window, r)?;
                    match disk {
                        Some(writer) => {
                            for e in run {
                                writer.write_all(&e.to_spilled(e.masked_index()))?;
                            }
                        }
                        None => self.memory.extend_from_slice(run),
                    }
                }
            }
            self.written += u64::from(r.elements_len);
        }
        Ok(())
    }
}

/// The elements of a record not yet ordered: from the unordered elements' file when the
/// spill was read back (`RecordStore::unordered_elements`), else from memory.
fn unordered_run<'a>(
    unordered: Option<&'a (File, u64)>,
    memory: &'a Blocks<Vec<StoredElement>>,
    window: &'a mut ElementWindow,
    record: &StoredRecord,
) -> io::Result<&'a [StoredElement]> {
    let len = record.elements_len as usize;
    match unordered {
        Some((file, file_len)) => {
            window.run(file, *file_len, joined_index(record.elements_at), len)
        }
        None => Ok(memory.run(record.elements_at, len)),
    }
}

/// A new temporary file of the store, written through a buffer. tempfile() is created 0600
/// and unlinked at once: nothing is left behind.
fn spill_file() -> io::Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(
        SPILL_BUFFER,
        tempfile::tempfile()?,
    ))
}

/// Elements read from disk at once when runs are read in order: from `FIRST_WINDOW`, doubling
/// with each window up to `WINDOW_ELEMENTS` (1.4 MB), as a pass in order can be short (rayon
/// hands out records in pieces of any size) or cover the whole store.
const FIRST_WINDOW: u64 = 256;
const WINDOW_ELEMENTS: u64 = 1 << 16;

/// A run's place in an elements file, as high and low halves (`elements_at` of a record).
fn split_index(index: u64) -> (u32, u32) {
    ((index >> 32) as u32, index as u32)
}

fn joined_index((high, low): (u32, u32)) -> u64 {
    (u64::from(high) << 32) | u64::from(low)
}

/// Which elements a window over an elements file reads for the next run: windows that grow
/// while runs come in order (or nearly), and one run alone when they come out of order.
#[derive(Debug)]
struct WindowPlan {
    /// The window held: `len` elements from element `start` of the file.
    start: u64,
    len: u64,
    /// Where the run read last from the window ends, to tell a pass in order from lookups.
    last_end: u64,
    /// Elements the next window in order reads.
    ahead: u64,
    /// Where the run read last out of order, alone, ends. A pass over people reads each
    /// person's first record in order and the others out of order: those lookups leave the
    /// window where it was, so the next person's first record is in it or just after (reading
    /// a window anew after each lookup took one `pread` per record).
    lookup_end: u64,
}

/// What `WindowPlan::next` says to read.
enum WindowRead {
    /// Nothing: the run is in the window held.
    Held,
    /// A new window of this many elements from the run's start.
    Window(u64),
    /// The run alone, leaving the window as it is.
    Alone,
}

impl Default for WindowPlan {
    fn default() -> Self {
        WindowPlan {
            start: 0,
            len: 0,
            last_end: u64::MAX,
            ahead: FIRST_WINDOW,
            lookup_end: u64::MAX,
        }
    }
}

impl WindowPlan {
    /// What to read for the `len` elements from element `start`, reading ahead no further than
    /// element `until`. A new window counts as held once `hold` says it was read: a read that
    /// fails leaves the window empty, never claiming what it did not read.
    fn next(&mut self, start: u64, len: u64, until: u64) -> WindowRead {
        let end = start + len;
        // Runs read in order, or skipping a few records (a pass over people skips records
        // that belong to no one), read ahead; lookups further away read the run alone.
        let follows = |last_end: u64| {
            start
                .checked_sub(last_end)
                .is_some_and(|skip| skip <= FIRST_WINDOW)
        };
        let read = if start >= self.start && end <= self.start + self.len {
            WindowRead::Held
        } else {
            let want = if follows(self.last_end) {
                let want = self.ahead;
                self.ahead = (self.ahead * 2).min(WINDOW_ELEMENTS);
                want
            } else if follows(self.lookup_end) {
                // A pass in order that began with a lookup (its first record).
                self.ahead = FIRST_WINDOW * 2;
                FIRST_WINDOW
            } else {
                self.lookup_end = end;
                return WindowRead::Alone;
            };
            // Until it is read, no window is held.
            self.len = 0;
            WindowRead::Window(want.min(until.saturating_sub(start)).max(len))
        };
        self.last_end = end;
        read
    }

    /// The window `next` asked for, `count` elements from `start`, has been read.
    fn hold(&mut self, start: u64, count: u64) {
        (self.start, self.len) = (start, count);
    }
}

/// Runs of elements read from an elements file, decoded, as `WindowPlan` says.
#[derive(Debug, Default)]
struct ElementWindow {
    plan: WindowPlan,
    bytes: Vec<u8>,
    /// The window held.
    elements: Vec<StoredElement>,
    /// The run read last alone.
    lookup: Vec<StoredElement>,
}

impl ElementWindow {
    /// The `len` elements from element `start` of `file`, reading ahead no further than
    /// element `until` (the file's end, or the end of a task's records).
    fn run(
        &mut self,
        file: &File,
        until: u64,
        start: u64,
        len: usize,
    ) -> io::Result<&[StoredElement]> {
        match self.plan.next(start, len as u64, until) {
            WindowRead::Held => {}
            WindowRead::Window(count) => {
                read_elements(file, &mut self.bytes, &mut self.elements, start, count)?;
                self.plan.hold(start, count);
            }
            WindowRead::Alone => {
                read_elements(file, &mut self.bytes, &mut self.lookup, start, len as u64)?;
                return Ok(&self.lookup);
            }
        }
        let at = (start - self.plan.start) as usize;
        Ok(self.elements.get(at..at + len).unwrap_or(&[]))
    }
}

/// Runs of elements as an elements file holds them (`to_spilled`), read as `WindowPlan` says
/// but left undecoded, for a copy to another elements file.
#[derive(Debug, Default)]
struct RawWindow {
    plan: WindowPlan,
    /// The window held, and the run read last alone.
    window: Vec<u8>,
    lookup: Vec<u8>,
}

impl RawWindow {
    /// The bytes of the `len` elements from element `start` of `file`, reading ahead no further
    /// than element `until`.
    fn run(&mut self, file: &File, until: u64, start: u64, len: u64) -> io::Result<&[u8]> {
        match self.plan.next(start, len, until) {
            WindowRead::Held => {}
            WindowRead::Window(count) => {
                read_raw(file, &mut self.window, start, count)?;
                self.plan.hold(start, count);
            }
            WindowRead::Alone => {
                read_raw(file, &mut self.lookup, start, len)?;
                return bytes_of(&self.lookup, 0, len);
            }
        }
        bytes_of(&self.window, start - self.plan.start, len)
    }
}

/// The bytes of `len` elements from element `at` of `bytes`.
fn bytes_of(bytes: &[u8], at: u64, len: u64) -> io::Result<&[u8]> {
    let element = SPILLED_ELEMENT as u64;
    let (at, len) = (at.saturating_mul(element), len.saturating_mul(element));
    usize::try_from(at)
        .ok()
        .zip(usize::try_from(at.saturating_add(len)).ok())
        .and_then(|(at, end)| bytes.get(at..end))
        .ok_or_else(|| io::Error::other("elements read back short"))
}

/// Reads the bytes of `count` elements from element `start` of `file` into `bytes`, which is
/// grown to hold them; returns their length.
fn read_raw(file: &File, bytes: &mut Vec<u8>, start: u64, count: u64) -> io::Result<usize> {
    let len = usize::try_from(count)
        .ok()
        .and_then(|count| count.checked_mul(SPILLED_ELEMENT))
        .ok_or(io::ErrorKind::OutOfMemory)?;
    // Grown only, never cleared: zeroing the buffer for every window cost as much as reading.
    if bytes.len() < len {
        bytes.resize(len, 0);
    }
    file.read_exact_at(&mut bytes[..len], start * SPILLED_ELEMENT as u64)?;
    Ok(len)
}

/// Reads `count` elements from element `start` of `file` into `elements` (cleared first),
/// through `bytes`.
fn read_elements(
    file: &File,
    bytes: &mut Vec<u8>,
    elements: &mut Vec<StoredElement>,
    start: u64,
    count: u64,
) -> io::Result<()> {
    let len = read_raw(file, bytes, start, count)?;
    elements.clear();
    elements.extend(
        bytes[..len]
            .chunks_exact(SPILLED_ELEMENT)
            .map(StoredElement::from_spilled),
    );
    Ok(())
}

/// Elements set aside in groups on disk, each group read back whole: the people pass gathers
/// there, in one pass in record order, the records it would otherwise look up one at a time.
#[derive(Debug)]
pub struct GroupedElements {
    /// Shared with the builders `beside` made, which gather into the same file.
    file: Option<Arc<File>>,
    /// Elements written so far by this builder and those beside it: each write takes its place
    /// from here.
    written: Arc<AtomicU64>,
    /// Per group, the stretches of the file (first element, count) that hold its elements, in
    /// the order they were added.
    stretches: Vec<Vec<(u64, u64)>>,
    /// Per group, elements added and not yet written.
    pending: Vec<Vec<StoredElement>>,
    /// Elements a group holds before they are written: all groups together hold about
    /// `GROUPED_PENDING` at most.
    flush_at: usize,
    bytes: Vec<u8>,
}

/// Elements all groups of a `GroupedElements` hold in memory at most before writing (1.4 MB).
const GROUPED_PENDING: usize = 1 << 16;

/// Elements a `GroupStream` reads at once (1.4 MB).
const STREAM_WINDOW: usize = 1 << 16;

impl GroupedElements {
    pub fn new(groups: usize) -> GroupedElements {
        GroupedElements {
            file: None,
            written: Arc::new(AtomicU64::new(0)),
            stretches: vec![Vec::new(); groups],
            pending: vec![Vec::new(); groups],
            flush_at: (GROUPED_PENDING / groups.max(1)).clamp(64, 8192),
            bytes: Vec::new(),
        }
    }

    /// Another builder of the same groups, writing into the same file: gathered on another
    /// thread, its elements follow this one's in each group once `absorb`ed.
    pub fn beside(&mut self) -> io::Result<GroupedElements> {
        let file = match &self.file {
            Some(file) => Arc::clone(file),
            None => Arc::clone(self.file.insert(Arc::new(tempfile::tempfile()?))),
        };
        Ok(GroupedElements {
            file: Some(file),
            written: Arc::clone(&self.written),
            stretches: vec![Vec::new(); self.stretches.len()],
            pending: vec![Vec::new(); self.pending.len()],
            flush_at: self.flush_at,
            bytes: Vec::new(),
        })
    }

    /// Puts the elements of a builder made `beside` this one after this one's, group by group.
    /// Both finish first.
    pub fn absorb(&mut self, mut later: GroupedElements) -> io::Result<()> {
        self.finish()?;
        later.finish()?;
        for (own, theirs) in self.stretches.iter_mut().zip(later.stretches) {
            own.extend(theirs);
        }
        if self.file.is_none() {
            self.file = later.file;
        }
        Ok(())
    }

    /// Adds `elements` to `group`, after those added before.
    pub fn add(&mut self, group: usize, elements: &[StoredElement]) -> io::Result<()> {
        let Some(pending) = self.pending.get_mut(group) else {
            return Err(io::Error::other("no such group of elements"));
        };
        pending.extend_from_slice(elements);
        if pending.len() >= self.flush_at {
            self.write(group)?;
        }
        Ok(())
    }

    fn write(&mut self, group: usize) -> io::Result<()> {
        let pending = std::mem::take(&mut self.pending[group]);
        if pending.is_empty() {
            return Ok(());
        }
        let file = match &self.file {
            Some(file) => file,
            None => self.file.insert(Arc::new(tempfile::tempfile()?)),
        };
        self.bytes.clear();
        for e in &pending {
            self.bytes
                .extend_from_slice(&e.to_spilled(e.masked_index()));
        }
        let at = self
            .written
            .fetch_add(pending.len() as u64, Ordering::Relaxed);
        file.write_all_at(&self.bytes, at * SPILLED_ELEMENT as u64)?;
        self.stretches[group].push((at, pending.len() as u64));
        // The buffer is kept, emptied, for the group's next elements.
        self.pending[group] = pending;
        self.pending[group].clear();
        Ok(())
    }

    /// Writes what every group still holds, and frees the buffers.
    pub fn finish(&mut self) -> io::Result<()> {
        for group in 0..self.pending.len() {
            self.write(group)?;
            self.pending[group] = Vec::new();
        }
        self.bytes = Vec::new();
        Ok(())
    }

    /// Every element of `group`, in the order added, into `into` (cleared first). Call
    /// `finish` first: elements still pending are not read.
    pub fn read(&self, group: usize, into: &mut Vec<StoredElement>) -> io::Result<()> {
        into.clear();
        let (Some(file), Some(stretches)) = (&self.file, self.stretches.get(group)) else {
            return Ok(());
        };
        let mut bytes = Vec::new();
        let mut stretch = Vec::new();
        for &(start, count) in stretches {
            read_elements(file, &mut bytes, &mut stretch, start, count)?;
            into.extend_from_slice(&stretch);
        }
        Ok(())
    }

    /// The elements of `group`, in the order added, read a window at a time (`GroupStream`).
    /// Call `finish` first.
    pub fn stream(&self, group: usize) -> GroupStream<'_> {
        self.stream_in_windows(group, STREAM_WINDOW)
    }

    /// `stream`, reading `window` elements at once (tests take small ones).
    fn stream_in_windows(&self, group: usize, window: usize) -> GroupStream<'_> {
        GroupStream {
            grouped: self,
            window_len: window,
            group,
            stretch: 0,
            taken: 0,
            bytes: Vec::new(),
            read: Vec::new(),
            window: Vec::new(),
            at: 0,
        }
    }
}

/// A group's elements read back in runs, in order, holding one window of them: the people
/// pass streams a group that holds one person's later records when there are too many to hold
/// (720,000 records that repeat one card).
pub struct GroupStream<'g> {
    grouped: &'g GroupedElements,
    /// Elements read at once, unless a run asks for more.
    window_len: usize,
    group: usize,
    /// The group's stretch read next, and how many of its elements were read already.
    stretch: usize,
    taken: u64,
    bytes: Vec<u8>,
    read: Vec<StoredElement>,
    /// Elements read and not all handed out yet: those before `at` were.
    window: Vec<StoredElement>,
    at: usize,
}

impl GroupStream<'_> {
    /// The next `len` elements of the group; fewer past its end.
    pub fn next_run(&mut self, len: usize) -> io::Result<&[StoredElement]> {
        if self.window.len() - self.at < len {
            self.window.drain(..self.at);
            self.at = 0;
            let want = len.max(self.window_len);
            let grouped = self.grouped;
            let stretches = grouped
                .stretches
                .get(self.group)
                .map_or(&[][..], |s| &s[..]);
            while self.window.len() < want {
                let (Some(file), Some(&(start, count))) =
                    (&grouped.file, stretches.get(self.stretch))
                else {
                    break;
                };
                let wanted = (want - self.window.len()) as u64;
                let n = (count - self.taken).min(wanted);
                read_elements(file, &mut self.bytes, &mut self.read, start + self.taken, n)?;
                self.window.extend_from_slice(&self.read);
                self.taken += n;
                if self.taken == count {
                    self.stretch += 1;
                    self.taken = 0;
                }
            }
        }
        let start = self.at;
        self.at = (start + len).min(self.window.len());
        Ok(&self.window[start..self.at])
    }
}

/// Reads the elements of ordered records (`RecordStore::reader`): from memory, or from the
/// store's file of ordered elements (`ElementWindow`).
pub struct ElementReader<'s> {
    store: &'s RecordStore,
    window: ElementWindow,
    /// The record after the one read last, and where its elements start.
    following: Option<(usize, u64)>,
    /// The element where read-ahead stops (`RecordStore::reader_within`).
    read_ahead_until: u64,
}

impl ElementReader<'_> {
    /// The elements of ordered record `record`; none past the last record or once the file
    /// failed to read (`RecordStore::read_failure` tells).
    pub fn elements(&mut self, record: usize) -> &[StoredElement] {
        let store = self.store;
        let Some(r) = store.ordered.indexed(record) else {
            return &[];
        };
        let len = r.elements_len as usize;
        let start = match self.following {
            Some((following, start)) if following == record => start,
            _ => store.element_start(record),
        };
        self.following = Some((record + 1, start + len as u64));
        let (file, file_len) = match &store.ordered_elements {
            Some(OrderedElements::Disk(file, file_len)) => (file, *file_len),
            Some(OrderedElements::Memory(elements)) => {
                let start = usize::try_from(start).unwrap_or(usize::MAX);
                return elements
                    .get(start..start.saturating_add(len))
                    .unwrap_or(&[]);
            }
            None => return &[],
        };
        match self
            .window
            .run(file, file_len.min(self.read_ahead_until), start, len)
        {
            Ok(run) => run,
            Err(error) => {
                store.note_io_failure(error);
                &[]
            }
        }
    }
}

/// The labels and locations of a stretch of ordered records (`RecordStore::texts`), read in
/// record order.
pub struct Texts<'s> {
    store: &'s RecordStore,
    /// The record `next` reads, and where its text starts.
    next: usize,
    next_at: usize,
    text: String,
}

impl Texts<'_> {
    /// The label and location of the next record of the stretch, in order; empty past its end.
    pub fn next_record(&mut self) -> (&str, &str) {
        if self.next >= self.store.len() {
            return ("", "");
        }
        let (label_len, location_len) = self.store.text_lens(self.next);
        let at = self.next_at;
        let label_end = at + label_len;
        let location_end = label_end + location_len;
        if location_end > self.text.len() {
            return ("", "");
        }
        self.next += 1;
        self.next_at = location_end;
        (
            self.text.get(at..label_end).unwrap_or(""),
            self.text.get(label_end..location_end).unwrap_or(""),
        )
    }
}

/// Reorders the first `order.len()` items so that item `k` is the one that was at `order[k]`,
/// following each cycle of the permutation: no second copy of the items. `order` must be a
/// permutation of those indices.
fn permute_in_place<T: Copy, S: std::ops::IndexMut<usize, Output = T> + ?Sized>(
    items: &mut S,
    order: &[u32],
) {
    let mut placed = vec![false; order.len()];
    for start in 0..order.len() {
        if placed[start] {
            continue;
        }
        let held = items[start];
        let mut at = start;
        loop {
            placed[at] = true;
            let from = order[at] as usize;
            if from == start {
                items[at] = held;
                break;
            }
            items[at] = items[from];
            at = from;
        }
    }
}

/// A set of record indices below a bound, as one bit each.
struct RecordSet {
    words: Vec<u64>,
    count: usize,
}

impl RecordSet {
    fn with_len(len: usize) -> RecordSet {
        RecordSet {
            words: vec![0; len.div_ceil(64)],
            count: 0,
        }
    }

    fn insert(&mut self, index: usize) {
        if let Some(word) = self.words.get_mut(index / 64) {
            let bit = 1u64 << (index % 64);
            if *word & bit == 0 {
                *word |= bit;
                self.count += 1;
            }
        }
    }

    fn contains(&self, index: usize) -> bool {
        self.words
            .get(index / 64)
            .is_some_and(|word| word & (1u64 << (index % 64)) != 0)
    }

    fn count(&self) -> usize {
        self.count
    }

    /// The indices, ascending.
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut left = word;
            std::iter::from_fn(move || {
                let bit = left.trailing_zeros() as usize;
                left &= left.checked_sub(1)?;
                Some(w * 64 + bit)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::RecordElement;
    use std::collections::BTreeMap;

    fn part(path: &str, record: &str, offset: u64, detector: u32, fp: u8) -> RecordPart {
        RecordPart {
            group: Arc::from(path),
            path: Arc::from(path),
            record: Arc::from(record),
            location: format!("at {offset}"),
            offset,
            elements: vec![RecordElement {
                detector,
                fingerprint: [fp; 16],
                masked: format!("m{fp}"),
            }],
        }
    }

    proptest::proptest! {
        #[test]
        fn permuting_in_place_matches_a_copy(keys in proptest::collection::vec(0u8..8, 0..64)) {
            let mut order: Vec<u32> = (0..keys.len() as u32).collect();
            order.sort_by_key(|&i| (keys[i as usize], i));
            let copied: Vec<u8> = order.iter().map(|&i| keys[i as usize]).collect();
            let mut permuted = keys.clone();
            permute_in_place(&mut permuted, &order);
            proptest::prop_assert_eq!(permuted, copied);
        }
    }

    /// Ordered record `r`'s elements, checking that they read back.
    fn elements_of(store: &RecordStore, r: usize) -> Vec<StoredElement> {
        let elements = store.reader().elements(r).to_vec();
        store.read_failure().expect("elements read back");
        elements
    }

    /// A record as the tables read it: path, label, location, (detector, fingerprint, masked).
    type Contents = (String, String, String, Vec<(u16, [u8; 16], String)>);

    /// Every record as the tables read it.
    fn contents(store: &RecordStore) -> Vec<Contents> {
        (0..store.len())
            .map(|r| {
                let elements = elements_of(store, r)
                    .iter()
                    .map(|e| (e.detector, e.fingerprint, store.masked(e).to_string()))
                    .collect();
                let mut texts = store.texts(r..r + 1).expect("texts");
                let (label, location) = texts.next_record();
                (
                    store.path_of(r).into(),
                    label.into(),
                    location.into(),
                    elements,
                )
            })
            .collect()
    }

    proptest::proptest! {
        /// Runs read back whole from their place, whatever their lengths against the block
        /// size, and single items read back by index.
        #[test]
        fn blocks_keep_every_run_whole(lengths in proptest::collection::vec(0usize..600, 0..12)) {
            type Item = [u64; 512];
            proptest::prop_assert_eq!(<Vec<Item> as Block>::ITEMS, 256);
            let mut blocks: Blocks<Vec<Item>> = Blocks::default();
            let mut runs = Vec::new();
            for (run, &len) in lengths.iter().enumerate() {
                let items: Vec<Item> = (0..len).map(|i| [(run * 1000 + i) as u64; 512]).collect();
                runs.push((blocks.push_run(&items), items));
            }
            for (at, items) in &runs {
                proptest::prop_assert_eq!(blocks.run(*at, items.len()), &items[..]);
            }
        }
    }

    proptest::proptest! {
        /// Records are kept this way: pushed one by one, counted, reordered in place and cut
        /// after merging, across as many blocks as it takes.
        #[test]
        fn items_pushed_one_by_one_count_reorder_and_truncate_like_a_vector(
            pushed in 0usize..5000,
            keep in 0usize..5000,
            stride in 1usize..64,
        ) {
            type Item = [u64; 64];
            proptest::prop_assert_eq!(<Vec<Item> as Block>::ITEMS, 2048);
            let mut blocks: Blocks<Vec<Item>> = Blocks::default();
            let mut vector: Vec<Item> = Vec::new();
            for i in 0..pushed {
                proptest::prop_assert_eq!(blocks.push_indexed([i as u64; 64]), i);
                vector.push([i as u64; 64]);
            }
            proptest::prop_assert_eq!(blocks.indexed_len(), pushed);
            // A permutation that mixes blocks: `stride` steps through the items, then the rest.
            let mut order: Vec<u32> = (0..pushed as u32).step_by(stride).collect();
            order.extend((0..pushed as u32).filter(|i| !(*i as usize).is_multiple_of(stride)));
            permute_in_place(&mut blocks, &order);
            permute_in_place(&mut vector, &order);
            let keep = keep.min(pushed);
            blocks.truncate_indexed(keep);
            vector.truncate(keep);
            proptest::prop_assert_eq!(blocks.indexed_len(), keep);
            proptest::prop_assert_eq!(blocks.blocks.len(), keep.div_ceil(2048));
            for (i, item) in vector.iter().enumerate() {
                proptest::prop_assert_eq!(&blocks[i], item);
            }
            proptest::prop_assert_eq!(blocks.indexed(keep), None);
        }
    }

    #[test]
    fn single_items_read_back_by_index_across_blocks() {
        type Item = [u64; 512];
        let mut singles: Blocks<Vec<Item>> = Blocks::default();
        let pushed = <Vec<Item> as Block>::ITEMS * 2 + 3;
        let indices: Vec<usize> = (0..pushed)
            .map(|i| singles.push_indexed([i as u64; 512]))
            .collect();
        assert_eq!(singles.blocks.len(), 3);
        for (value, &index) in indices.iter().enumerate() {
            assert_eq!(singles.indexed(index), Some(&[value as u64; 512]));
        }
    }

    /// records.csv reads labels a stretch at a time, from memory or from disk, wherever the
    /// stretch starts against the stride of known positions.
    #[test]
    fn labels_read_back_in_any_stretch() {
        // A few labels and locations too long for an ordered record's lengths (65,535 bytes
        // is the first that is).
        let label_of = |r: usize| {
            let long = if r % 700 == 3 {
                "x".repeat(70_000)
            } else {
                String::new()
            };
            format!("line {r:05}{}{long}", "é".repeat(r % 3))
        };
        let location_of = |r: usize| match r {
            _ if r % 900 == 5 => "y".repeat(65_535),
            _ if r.is_multiple_of(2) => format!("at {r}"),
            _ => String::new(),
        };
        for mut store in [RecordStore::default(), RecordStore::spilling()] {
            let mut batch = RecordStore::default();
            for r in 0..2500u64 {
                let mut part = part("a.csv", &label_of(r as usize), r, 1, (r % 251) as u8);
                part.location = location_of(r as usize);
                batch.push(&part, |_| false);
            }
            store.append(batch).expect("append");
            store.finish().expect("finish");
            store.finish().expect("a second finish changes nothing");
            assert_eq!(store.len(), 2500);
            assert_eq!(
                store.long_texts.len(),
                4 + 3,
                "records 3, 703, 1403, 2103; 5, 905, 1805"
            );
            for stretch in [
                0..2500,
                0..1,
                1023..1025,
                1000..2100,
                2047..2500,
                2499..2500,
                703..704,
                905..906,
            ] {
                let mut texts = store.texts(stretch.clone()).expect("texts");
                for r in stretch {
                    let (label, location) = texts.next_record();
                    assert_eq!(label, label_of(r), "record {r}");
                    assert_eq!(location, location_of(r), "record {r}");
                }
                assert_eq!(texts.next_record(), ("", ""), "nothing past the stretch");
            }
        }
    }

    /// The masked value's index is kept in halves: every index reads back whole, also
    /// through the spill's encoding.
    #[test]
    fn elements_keep_their_rule_and_masked_value_whole() {
        for masked in [0, 1, 0xffff, 0x1_0000, 0x1234_5678, NOT_KEPT - 1, NOT_KEPT] {
            let element = StoredElement::new(65_535, [7; 16], masked);
            assert_eq!(element.masked_index(), masked);
            assert_eq!(element.detector, 65_535);
            assert_eq!(element.fingerprint, [7; 16]);
            let spilled = StoredElement::new(3, [9; 16], 0).to_spilled(masked);
            assert_eq!(
                StoredElement::from_spilled(&spilled),
                StoredElement::new(3, [9; 16], masked)
            );
        }
        let header = SpilledHeader {
            path: 0x0102_0304,
            offset: u64::MAX - 5,
            label_len: 7,
            location_len: u32::MAX,
            elements_len: 65_536,
        };
        assert_eq!(SpilledHeader::from_bytes(&header.to_bytes()), header);
    }

    /// A scan holds one of each per record and per value: these sizes are the memory budget.
    #[test]
    fn records_and_elements_stay_compact() {
        assert_eq!(std::mem::size_of::<OrderedRecord>(), 12);
        assert_eq!(std::mem::size_of::<StoredRecord>(), 40);
        assert_eq!(std::mem::size_of::<StoredElement>(), 22);
    }

    /// Masks repeat (`***@gmail.com`): each distinct one is held once, in a batch's store and
    /// in the scan's, and every element still reads its own back.
    #[test]
    fn each_distinct_masked_value_is_kept_once() {
        for mut scan in [RecordStore::default(), RecordStore::spilling()] {
            each_distinct_masked_value_is_kept_once_in(&mut scan);
        }
    }

    fn each_distinct_masked_value_is_kept_once_in(scan: &mut RecordStore) {
        for batch in 0..3 {
            let mut store = RecordStore::default();
            for r in 0..100u8 {
                let mut part = part("a.csv", &format!("line {batch}-{r}"), r.into(), 1, r);
                part.elements[0].masked = format!("m{}", r % 4);
                store.push(&part, |_| true);
            }
            assert_eq!(store.masked.blocks.iter().map(Vec::len).sum::<usize>(), 4);
            scan.append(store).expect("append");
        }
        assert_eq!(scan.masked.blocks.iter().map(Vec::len).sum::<usize>(), 4);
        scan.finish().expect("finish");
        assert_eq!(scan.len(), 300);
        for r in 0..scan.len() {
            let element = elements_of(scan, r)[0];
            assert_eq!(
                scan.masked(&element),
                format!("m{}", element.fingerprint[0] % 4)
            );
        }
    }

    #[test]
    fn appended_batches_read_as_if_pushed_into_one_store() {
        let parts = [
            part("b.csv", "line 2", 20, 1, 1),
            part("a.csv", "line 9", 90, 1, 2),
            part("a.csv", "line 3", 30, 2, 3),
            part("a.csv", "line 3", 25, 1, 4),
            part("c.csv", "line 1", 5, 2, 5),
        ];
        let keep = |d: u32| d == 1;
        let mut whole = RecordStore::default();
        parts.iter().for_each(|p| whole.push(p, keep));
        let mut appended = RecordStore::default();
        let mut spilled = RecordStore::spilling();
        for batch in [&parts[..2], &parts[2..3], &parts[3..]] {
            for into in [&mut appended, &mut spilled] {
                let mut store = RecordStore::default();
                batch.iter().for_each(|p| store.push(p, keep));
                into.append(store).expect("append");
            }
        }
        assert_eq!(
            spilled.records.indexed_len(),
            0,
            "spilled records wait on disk"
        );
        assert!(spilled.text.blocks.iter().all(|b| !b.contains("line")));
        for store in [&mut whole, &mut appended, &mut spilled] {
            store.finish().expect("finish");
        }
        assert!(
            matches!(spilled.ordered_elements, Some(OrderedElements::Disk(..))),
            "ordered elements wait on disk"
        );
        assert_eq!(contents(&appended), contents(&whole));
        assert_eq!(contents(&spilled), contents(&whole));
        assert_eq!(appended.len(), 4);
        assert_eq!(appended.paths.len(), 3, "paths are interned once");
        assert_eq!(spilled.paths.len(), 3, "paths are interned once");
    }

    /// Groups added to in turns, some past the point where they are written, read back each
    /// whole and in the order added; an empty group reads as empty.
    #[test]
    fn grouped_elements_read_back_group_by_group() {
        let element = |group: usize, i: usize| {
            StoredElement::new(group as u32, [(i % 251) as u8; 16], (i * 3 + group) as u32)
        };
        let groups = 4;
        let mut grouped = GroupedElements::new(groups);
        let mut expected: Vec<Vec<StoredElement>> = vec![Vec::new(); groups];
        for i in 0..40_000 {
            // Group 3 stays empty; group 0 gets most, in runs of several elements.
            let group = [0, 0, 1, 2, 0][i % 5];
            let run: Vec<StoredElement> = (0..1 + i % 3).map(|j| element(group, i + j)).collect();
            grouped.add(group, &run).expect("add");
            expected[group].extend(run);
        }
        grouped.finish().expect("finish");
        assert!(
            grouped.stretches[0].len() > 2,
            "written in several stretches"
        );
        let mut read = Vec::new();
        for (group, expected) in expected.iter().enumerate() {
            grouped.read(group, &mut read).expect("read");
            assert_eq!(&read, expected, "group {group}");
        }
        assert!(grouped.add(groups, &[element(0, 0)]).is_err());
        // Streamed in runs of one to seven elements and now and then a run longer than the
        // window, the same elements come back; past the end, a shorter run, then none.
        for (group, expected) in expected.iter().enumerate() {
            let mut stream = grouped.stream_in_windows(group, 1000);
            let mut streamed = Vec::new();
            for i in 0.. {
                let len = if i % 97 == 0 { 2500 } else { 1 + i % 7 };
                let run = stream.next_run(len).expect("stream");
                assert!(run.len() <= len);
                streamed.extend_from_slice(run);
                if run.len() < len {
                    break;
                }
            }
            assert_eq!(&streamed, expected, "group {group}");
            assert_eq!(stream.next_run(3).expect("stream"), &[][..]);
        }
    }

    /// Two builders of one file, filled on two threads, read back as one: in each group the
    /// first builder's elements, then those of the builder made beside it, streamed or read.
    #[test]
    fn grouped_elements_gathered_beside_read_back_in_turn() {
        let element = |i: usize| StoredElement::new(i as u32 % 7, [(i % 251) as u8; 16], i as u32);
        let groups = 3;
        let mut first = GroupedElements::new(groups);
        let mut second = first.beside().expect("beside");
        let mut expected: Vec<Vec<StoredElement>> = vec![Vec::new(); groups];
        let mut later: Vec<Vec<StoredElement>> = vec![Vec::new(); groups];
        std::thread::scope(|scope| {
            let one = scope.spawn(|| {
                for i in 0..30_000 {
                    first.add(i % 2, &[element(i)]).expect("add");
                    expected[i % 2].push(element(i));
                }
            });
            for i in 30_000..50_000 {
                second.add(i % 3, &[element(i)]).expect("add");
                later[i % 3].push(element(i));
            }
            one.join().expect("first builder");
        });
        first.absorb(second).expect("absorb");
        let mut read = Vec::new();
        for (group, (mut expected, later)) in expected.into_iter().zip(later).enumerate() {
            expected.extend(later);
            first.read(group, &mut read).expect("read");
            assert_eq!(read, expected, "group {group}");
            let mut stream = first.stream_in_windows(group, 4096);
            assert_eq!(stream.next_run(50_000).expect("stream"), &expected[..]);
        }
    }

    /// The people pass reads elements in order (a stretch of records), out of order (a
    /// person's records) and in pieces of any length: from disk, every way gives what memory
    /// gives. A file that fails to read gives no elements, and says so once.
    /// The same 4,500 records (of one to five elements) in a store kept in memory and in one
    /// that spills, both finished.
    fn in_memory_and_on_disk() -> (RecordStore, RecordStore) {
        let (mut memory, mut disk) = (RecordStore::default(), RecordStore::spilling());
        for batch in 0..3u64 {
            let mut stores = [RecordStore::default(), RecordStore::default()];
            for r in 0..1500u64 {
                let label = format!("line {batch}-{r:05}");
                let mut part = part("a.csv", &label, r, 1, (r % 251) as u8);
                for extra in 0..r % 5 {
                    part.elements.push(RecordElement {
                        detector: 2 + extra as u32,
                        fingerprint: [extra as u8; 16],
                        masked: format!("x{extra}"),
                    });
                }
                stores.iter_mut().for_each(|s| s.push(&part, |_| true));
            }
            let [into_memory, into_disk] = stores;
            memory.append(into_memory).expect("append");
            disk.append(into_disk).expect("append");
        }
        memory.finish().expect("finish");
        disk.finish().expect("finish");
        (memory, disk)
    }

    #[test]
    fn elements_read_back_in_any_order() {
        let (memory, disk) = in_memory_and_on_disk();
        assert_eq!(disk.len(), 4500);
        let expected: Vec<Vec<StoredElement>> =
            (0..memory.len()).map(|r| elements_of(&memory, r)).collect();
        let mut reader = disk.reader();
        for r in (0..disk.len()).chain((0..disk.len()).rev()) {
            assert_eq!(reader.elements(r), &expected[r][..], "record {r}");
        }
        for step in [2, 97, 1031] {
            let mut reader = disk.reader();
            for r in (0..disk.len()).step_by(step) {
                assert_eq!(
                    reader.elements(r),
                    &expected[r][..],
                    "record {r}, step {step}"
                );
            }
        }
        disk.read_failure().expect("nothing failed");
        if let Some(OrderedElements::Disk(file, _)) = &disk.ordered_elements {
            file.set_len(0).expect("truncate");
        }
        assert_eq!(disk.reader().elements(4000), &[]);
        assert!(disk.read_failure().is_err(), "the failure is told");
        disk.read_failure().expect("and told once");
    }

    /// A window whose read failed is not held: the runs it would have held are read anew, so
    /// neither window hands out elements it never read (decoded or as the file holds them).
    #[test]
    fn a_window_that_failed_to_read_is_read_again() {
        let elements: Vec<StoredElement> = (0..100u32)
            .map(|i| StoredElement::new(i % 7, [i as u8; 16], i))
            .collect();
        let bytes: Vec<u8> = elements
            .iter()
            .flat_map(|e| e.to_spilled(e.masked_index()))
            .collect();
        let mut file = tempfile::tempfile().expect("temporary elements file");
        file.write_all(&bytes).expect("elements written");
        let raw =
            |from: usize, to: usize| bytes[from * SPILLED_ELEMENT..to * SPILLED_ELEMENT].to_vec();

        let mut window = ElementWindow::default();
        assert_eq!(
            window.run(&file, 100, 0, 2).expect("a lookup"),
            &elements[..2]
        );
        // Told the file runs on past its end, the next window's read fails.
        assert!(window.run(&file, 10_000, 2, 1).is_err());
        assert_eq!(
            window.run(&file, 100, 3, 2).expect("read anew"),
            &elements[3..5]
        );

        let mut window = RawWindow::default();
        assert_eq!(
            window.run(&file, 100, 0, 2).expect("a lookup"),
            &raw(0, 2)[..]
        );
        assert!(window.run(&file, 10_000, 2, 1).is_err());
        assert_eq!(
            window.run(&file, 100, 3, 2).expect("read anew"),
            &raw(3, 5)[..]
        );
    }

    /// A pass over people reads each person's first record in order and their other records
    /// out of order: those lookups leave the window where it was, so the next first record is
    /// read from it. A reader for a task's records reads ahead no further than their end.
    #[test]
    fn lookups_leave_the_window_in_place_and_task_readers_stop_at_their_records() {
        let (memory, disk) = in_memory_and_on_disk();
        let mut reader = disk.reader();
        assert_eq!(reader.elements(0), &elements_of(&memory, 0)[..]);
        assert_eq!(reader.elements(1), &elements_of(&memory, 1)[..]);
        let window_start = reader.window.plan.start;
        for r in 2..40 {
            assert_eq!(
                reader.elements(r),
                &elements_of(&memory, r)[..],
                "record {r}"
            );
            let far = 4000 - r;
            assert_eq!(
                reader.elements(far),
                &elements_of(&memory, far)[..],
                "record {far}"
            );
            assert_eq!(
                reader.window.plan.start, window_start,
                "the window stays at record 1"
            );
        }
        for stretch in [100..200, 4400..4500] {
            let mut reader = disk.reader_within(stretch.clone());
            for r in stretch.clone() {
                assert_eq!(
                    reader.elements(r),
                    &elements_of(&memory, r)[..],
                    "record {r}"
                );
            }
            let window_end = reader.window.plan.start + reader.window.elements.len() as u64;
            let stretch_end = if stretch.end < disk.len() {
                disk.element_start(stretch.end)
            } else {
                disk.element_start(disk.len() - 1)
                    + elements_of(&memory, disk.len() - 1).len() as u64
            };
            assert_eq!(
                window_end, stretch_end,
                "read up to the stretch's end, not past it"
            );
        }
    }

    /// Where a file was cut into parts must not show: a value written two ways in one record
    /// keeps the same masked form whichever part each way arrived in.
    #[test]
    fn merged_parts_keep_what_one_part_would_keep() {
        let written = |masked: &str| {
            let mut part = part("a.csv", "line 3", 30, 1, 7);
            part.elements[0].masked = masked.to_string();
            part
        };
        for ways in [
            ["***-**-6789", "*** ** 6789"],
            ["*** ** 6789", "***-**-6789"],
        ] {
            let mut store = RecordStore::default();
            ways.iter()
                .for_each(|way| store.push(&written(way), |_| true));
            store.finish().expect("finish");
            assert_eq!(store.len(), 1);
            let elements = elements_of(&store, 0);
            assert_eq!(elements.len(), 1);
            assert_eq!(
                store.masked(&elements[0]),
                "*** ** 6789",
                "as sorted in one part"
            );
        }
    }

    /// Records sort by top-level file before path: `a!z` (an item of `a`) comes before the
    /// file `a b`, although its path sorts after. The file of each item survives appending.
    #[test]
    fn records_sort_by_their_top_level_file_first() {
        let item = |group: &str, path: &str| RecordPart {
            group: Arc::from(group),
            ..part(path, "line 1", 1, 1, 1)
        };
        let mut whole = RecordStore::default();
        let mut appended = RecordStore::default();
        let mut spilled = RecordStore::spilling();
        for (group, path) in [("a b", "a b"), ("a", "a!z"), ("a", "a")] {
            whole.push(&item(group, path), |_| true);
            for into in [&mut appended, &mut spilled] {
                let mut batch = RecordStore::default();
                batch.push(&item(group, path), |_| true);
                into.append(batch).expect("append");
            }
        }
        for store in [&mut whole, &mut appended, &mut spilled] {
            store.finish().expect("finish");
            let order: Vec<&str> = (0..store.len()).map(|r| store.path_of(r)).collect();
            assert_eq!(order, ["a", "a!z", "a b"]);
        }
    }

    /// One file's parts as batches would bring them: each batch's parts sorted by path,
    /// position and label, each (path, label) once, the parts dealt out to `batches` batches
    /// in turn. No batch of `record_parts` breaks those rules, but the store must not rely on
    /// it: `in_order: false` reverses each batch, `once: false` lets a batch repeat a label.
    fn file_batches(
        file: usize,
        batches: usize,
        (in_order, once): (bool, bool),
        parts: &[(u8, u8, u64, u8)],
    ) -> Vec<Vec<RecordPart>> {
        let group = format!("f{file}");
        let mut dealt: Vec<Vec<RecordPart>> = vec![Vec::new(); batches];
        for (i, &(item, label, offset, fp)) in parts.iter().enumerate() {
            let path = match item {
                0 => group.clone(),
                item => format!("{group}!{item}"),
            };
            let batch = &mut dealt[i % batches];
            let label = format!("line {label}");
            if once
                && batch
                    .iter()
                    .any(|p| *p.path == *path && *p.record == *label)
            {
                continue;
            }
            let mut part = part(&path, &label, offset, u32::from(fp % 3), fp);
            part.group = Arc::from(group.as_str());
            batch.push(part);
        }
        for batch in &mut dealt {
            batch.sort_by(|a, b| {
                (&a.path, a.offset, &a.record).cmp(&(&b.path, b.offset, &b.record))
            });
            if !in_order {
                batch.reverse();
            }
        }
        dealt
    }

    /// What the store should read back, worked out the plain way: parts of one (path, label)
    /// merged (the first part nearest the start gives position and location; elements
    /// distinct by rule and fingerprint, the smallest masked value kept), then sorted by
    /// top-level file, path, position and label.
    fn expected_contents(parts: &[&RecordPart], keep: impl Fn(u32) -> bool) -> Vec<Contents> {
        type Merged = (u64, String, Vec<(u16, [u8; 16], String)>);
        let mut records: BTreeMap<(String, String, String), Merged> = BTreeMap::new();
        for part in parts {
            let key = (
                part.group.to_string(),
                part.path.to_string(),
                part.record.to_string(),
            );
            let merged = records
                .entry(key)
                .or_insert_with(|| (part.offset, part.location.clone(), Vec::new()));
            if part.offset < merged.0 {
                (merged.0, merged.1) = (part.offset, part.location.clone());
            }
            for e in &part.elements {
                let masked = if keep(e.detector) {
                    e.masked.clone()
                } else {
                    String::new()
                };
                merged.2.push((e.detector as u16, e.fingerprint, masked));
            }
        }
        let mut rows: Vec<(String, String, u64, String, String, Vec<_>)> = records
            .into_iter()
            .map(|((group, path, label), (offset, location, mut elements))| {
                elements.sort();
                elements.dedup_by(|a, b| (a.0, a.1) == (b.0, b.1));
                (group, path, offset, label, location, elements)
            })
            .collect();
        rows.sort_by(|a, b| (&a.0, &a.1, a.2, &a.3).cmp(&(&b.0, &b.1, b.2, &b.3)));
        rows.into_iter()
            .map(|(_, path, _, label, location, elements)| (path, label, location, elements))
            .collect()
    }

    proptest::proptest! {
        /// Files held by one batch or several, in order or not, parts of one record in several
        /// batches, batches of files interleaved: pushed part by part, appended, spilled, or
        /// spilled after a first batch pushed part by part (so the spill is read back after
        /// records in memory), the store reads back what merging and sorting by hand gives.
        #[test]
        fn records_read_back_merged_and_in_output_order_however_they_came(
            files in proptest::collection::vec(
                (
                    1usize..4,
                    (proptest::bool::weighted(0.8), proptest::bool::weighted(0.8)),
                    proptest::collection::vec((0u8..3, 0u8..6, 0u64..40, 0u8..8), 0..14),
                ),
                1..6,
            ),
        ) {
            let keep = |d: u32| d != 1;
            let mut per_file: Vec<std::collections::VecDeque<Vec<RecordPart>>> = files
                .iter()
                .enumerate()
                .map(|(f, (batches, in_order, parts))| file_batches(f, *batches, *in_order, parts).into())
                .collect();
            // Batches of the files taken in turns, last file first, as workers would hand them on.
            let mut batches = Vec::new();
            while per_file.iter().any(|f| !f.is_empty()) {
                for file in per_file.iter_mut().rev() {
                    batches.extend(file.pop_front());
                }
            }
            let mut whole = RecordStore::default();
            let mut appended = RecordStore::default();
            let mut spilled = RecordStore::spilling();
            let mut mixed = RecordStore::spilling();
            for (b, batch) in batches.iter().enumerate() {
                batch.iter().for_each(|p| whole.push(p, keep));
                if b == 0 {
                    batch.iter().for_each(|p| mixed.push(p, keep));
                }
                let mut into = vec![&mut appended, &mut spilled];
                if b > 0 {
                    into.push(&mut mixed);
                }
                for into in into {
                    let mut store = RecordStore::default();
                    batch.iter().for_each(|p| store.push(p, keep));
                    into.append(store).expect("append");
                }
            }
            let every_part: Vec<&RecordPart> = batches.iter().flatten().collect();
            let expected = expected_contents(&every_part, keep);
            for store in [&mut whole, &mut appended, &mut spilled, &mut mixed] {
                store.finish().expect("finish");
                proptest::prop_assert_eq!(&contents(store), &expected);
            }
        }
    }

    #[test]
    fn parts_of_one_record_merge_and_records_sort_by_path_then_position() {
        let mut store = RecordStore::default();
        store.push(&part("b.csv", "line 2", 20, 1, 1), |_| true);
        store.push(&part("a.csv", "line 9", 90, 1, 2), |_| true);
        store.push(&part("a.csv", "line 3", 30, 2, 3), |_| false);
        store.push(&part("a.csv", "line 3", 25, 1, 4), |_| true);
        store.finish().expect("finish");
        assert_eq!(store.len(), 3);
        let mut texts = store.texts(0..3).expect("texts");
        let labels: Vec<(String, String)> = (0..3)
            .map(|_| {
                let (label, location) = texts.next_record();
                (label.to_string(), location.to_string())
            })
            .collect();
        let order: Vec<(&str, &str)> = (0..3)
            .map(|i| (store.path_of(i), labels[i].0.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("a.csv", "line 3"),
                ("a.csv", "line 9"),
                ("b.csv", "line 2")
            ]
        );
        assert_eq!(labels[0].1, "at 25");
        let elements = elements_of(&store, 0);
        assert_eq!(elements.len(), 2);
        assert_eq!(store.masked(&elements[0]), "m4");
        assert_eq!(store.masked(&elements[1]), "");
    }
}
