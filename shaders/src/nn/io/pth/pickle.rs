//! A restricted unpickler for torch.save streams.
//!
//! It interprets the opcodes Python's pickler emits for a state_dict
//! (protocols 2 to 5) and knows a fixed set of globals: `collections.OrderedDict`,
//! torch's tensor rebuild functions and torch storage types. Nothing is imported
//! or called; any other global is an error naming it. Containers are shared
//! (`Rc<RefCell<..>>`) so memoised objects see later mutations, as in Python.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ops::Deref;
use std::rc::Rc;

use crate::nn::io::format::{DType, WeightsError};

/// A storage referenced by a persistent id: `('storage', type, key, location, numel[, view])`.
#[derive(Debug)]
pub(super) struct StorageRef {
    /// Element type.
    pub dtype: DType,
    /// Key of the root storage (`data/<key>` in a zip, the key list in a legacy file).
    pub key: String,
    /// Legacy storage view: element offset into the root storage and element count.
    pub view: Option<(u64, u64)>,
}

/// A tensor rebuilt by `_rebuild_tensor_v2`: a strided view of a storage.
#[derive(Debug)]
pub(super) struct TensorRef {
    /// The storage.
    pub storage: Rc<StorageRef>,
    /// Element offset into the storage (or into its view).
    pub offset: u64,
    /// Dimensions.
    pub shape: Vec<u64>,
    /// Element strides.
    pub stride: Vec<u64>,
}

/// The globals the unpickler knows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Global {
    /// `collections.OrderedDict`.
    OrderedDict,
    /// `torch._utils._rebuild_tensor_v2` or `_rebuild_tensor`.
    RebuildTensor,
    /// `torch._utils._rebuild_parameter`.
    RebuildParameter,
    /// `torch.FloatStorage` and friends.
    Storage(DType),
}

/// A tuple's items.
#[derive(Clone, Debug)]
pub(super) struct Items(Rc<[Value]>);

/// A list or dict shared between the stack and the memo.
#[derive(Debug)]
pub(super) struct Shared<T: Entry>(Rc<RefCell<Vec<T>>>);

impl Deref for Items {
    type Target = [Value];

    fn deref(&self) -> &[Value] {
        &self.0
    }
}

impl From<Vec<Value>> for Items {
    fn from(items: Vec<Value>) -> Self {
        Items(items.into())
    }
}

impl<T: Entry> Deref for Shared<T> {
    type Target = RefCell<Vec<T>>;

    fn deref(&self) -> &RefCell<Vec<T>> {
        &self.0
    }
}

impl<T: Entry> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T: Entry> From<Vec<T>> for Shared<T> {
    fn from(items: Vec<T>) -> Self {
        Shared(Rc::new(RefCell::new(items)))
    }
}

// Nested containers are dropped with a worklist, not recursively: a pickle
// nests a tuple a level per byte (TUPLE1), so a 1 MB file would otherwise
// overflow the stack when its values are dropped. A container that is the
// last owner of its items moves them out before it goes; each of those is
// dismantled in turn by the loop in `dismantle`.

impl Drop for Items {
    fn drop(&mut self) {
        if let Some(items) = Rc::get_mut(&mut self.0) {
            if items.iter().any(Value::is_container) {
                dismantle(items.iter_mut().map(std::mem::take).collect());
            }
        }
    }
}

impl<T: Entry> Drop for Shared<T> {
    fn drop(&mut self) {
        if let Some(cell) = Rc::get_mut(&mut self.0) {
            let items = cell.get_mut();
            if items.iter().any(Entry::has_container) {
                let mut pending = Vec::new();
                items.drain(..).for_each(|e| e.into_values(&mut pending));
                dismantle(pending);
            }
        }
    }
}

/// Drops `pending` and everything nested in it without recursing.
fn dismantle(mut pending: Vec<Value>) {
    while let Some(mut v) = pending.pop() {
        match &mut v {
            Value::Tuple(t) => {
                if let Some(items) = Rc::get_mut(&mut t.0) {
                    pending.extend(items.iter_mut().map(std::mem::take));
                }
            }
            Value::List(l) => {
                if let Some(cell) = Rc::get_mut(&mut l.0) {
                    pending.append(cell.get_mut());
                }
            }
            Value::Dict(d) => {
                if let Some(cell) = Rc::get_mut(&mut d.0) {
                    cell.get_mut().drain(..).for_each(|e| e.into_values(&mut pending));
                }
            }
            _ => {}
        }
        // `v` is dropped here, holding nothing nested any more.
    }
}

/// An element of a list (a value) or of a dict (a key and a value).
pub(super) trait Entry {
    /// Whether dropping it could recurse.
    fn has_container(&self) -> bool;
    /// Moves its values into `out`.
    fn into_values(self, out: &mut Vec<Value>);
}

impl Entry for Value {
    fn has_container(&self) -> bool {
        self.is_container()
    }

    fn into_values(self, out: &mut Vec<Value>) {
        out.push(self);
    }
}

impl Entry for (Value, Value) {
    fn has_container(&self) -> bool {
        self.0.is_container() || self.1.is_container()
    }

    fn into_values(self, out: &mut Vec<Value>) {
        out.push(self.0);
        out.push(self.1);
    }
}

/// An unpickled value.
#[derive(Clone, Debug, Default)]
pub(super) enum Value {
    #[default]
    None,
    Bool(bool),
    Int(i64),
    /// An integer wider than 64 bits: little-endian two's complement bytes.
    BigInt(Rc<[u8]>),
    Float(f64),
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    Tuple(Items),
    List(Shared<Value>),
    /// Insertion-ordered key/value pairs (a dict or an OrderedDict).
    Dict(Shared<(Value, Value)>),
    Global(Global),
    Storage(Rc<StorageRef>),
    Tensor(Rc<TensorRef>),
}

impl Value {
    /// What the value is, for error messages.
    pub(super) fn kind(&self) -> String {
        match self {
            Value::None => "None".into(),
            Value::Bool(b) => format!("a bool ({})", if *b { "True" } else { "False" }),
            Value::Int(i) => format!("an int ({i})"),
            Value::BigInt(_) => "a long int".into(),
            Value::Float(f) => format!("a float ({f})"),
            Value::Str(s) => format!("a string ({:?})", s.chars().take(40).collect::<String>()),
            Value::Bytes(b) => format!("{} bytes", b.len()),
            Value::Tuple(t) => format!("a tuple of {}", t.len()),
            Value::List(l) => format!("a list of {}", l.borrow().len()),
            Value::Dict(d) => format!("a dict of {}", d.borrow().len()),
            Value::Global(g) => format!("the global {g:?}"),
            Value::Storage(_) => "a storage".into(),
            Value::Tensor(_) => "a tensor".into(),
        }
    }

    /// Whether the value holds other values.
    fn is_container(&self) -> bool {
        matches!(self, Value::Tuple(_) | Value::List(_) | Value::Dict(_))
    }

    /// The string, if this is one (Python 2 byte strings included).
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

fn resolve(module: &str, name: &str) -> Option<Global> {
    match (module, name) {
        ("collections", "OrderedDict") => Some(Global::OrderedDict),
        ("torch._utils", "_rebuild_tensor_v2" | "_rebuild_tensor") => Some(Global::RebuildTensor),
        ("torch._utils", "_rebuild_parameter") => Some(Global::RebuildParameter),
        ("torch" | "torch.cuda", _) => {
            let dtype = match name {
                "DoubleStorage" => DType::F64,
                "FloatStorage" => DType::F32,
                "HalfStorage" => DType::F16,
                "BFloat16Storage" => DType::BF16,
                "LongStorage" => DType::I64,
                "IntStorage" => DType::I32,
                "ShortStorage" => DType::I16,
                "CharStorage" => DType::I8,
                "ByteStorage" => DType::U8,
                "BoolStorage" => DType::Bool,
                _ => return None,
            };
            Some(Global::Storage(dtype))
        }
        _ => None,
    }
}

/// Reads one pickle starting at `*pos`, leaving `*pos` after its STOP opcode.
/// Storages referenced through persistent ids are recorded in `storages`
/// (root key to element type); one key read as two types is an error.
pub(super) fn load(
    bytes: &[u8],
    pos: &mut usize,
    storages: &mut HashMap<String, DType>,
) -> Result<Value, WeightsError> {
    let mut u = Unpickler {
        bytes,
        pos: *pos,
        at: *pos,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        storages,
        containers: Vec::new(),
    };
    let result = u.run().and_then(|v| {
        let reachable = acyclic(&v).ok_or_else(|| WeightsError::Pickle {
            offset: *pos,
            msg: "a list or dict contains itself, which no state_dict does".into(),
        })?;
        Ok((v, reachable))
    });
    // Python's pickles may build reference cycles (a list appended to itself);
    // reference counting would never free them. Empty every list and dict the
    // result does not hold, and all of them when it is an error.
    let reachable = result.as_ref().map(|(_, r)| r);
    for c in &u.containers {
        if !reachable.is_ok_and(|r| r.contains(&c.id())) {
            c.clear();
        }
    }
    let (v, _) = result?;
    *pos = u.pos;
    Ok(v)
}

/// A list or dict the unpickler made.
enum Container {
    List(Shared<Value>),
    Dict(Shared<(Value, Value)>),
}

impl Container {
    fn id(&self) -> *const () {
        match self {
            Container::List(l) => Rc::as_ptr(&l.0) as *const (),
            Container::Dict(d) => Rc::as_ptr(&d.0) as *const (),
        }
    }

    fn clear(&self) {
        match self {
            Container::List(l) => drop(std::mem::take(&mut *l.borrow_mut())),
            Container::Dict(d) => drop(std::mem::take(&mut *d.borrow_mut())),
        }
    }
}

/// The containers reachable from `root` (by address), or `None` if one of
/// them contains itself. Iterative depth-first search; shared values are
/// visited once.
fn acyclic(root: &Value) -> Option<HashSet<*const ()>> {
    enum Step {
        Enter(Value),
        Leave(*const ()),
    }
    let mut done = HashSet::new();
    let mut open = HashSet::new();
    let mut steps = vec![Step::Enter(root.clone())];
    while let Some(step) = steps.pop() {
        let v = match step {
            Step::Leave(id) => {
                open.remove(&id);
                done.insert(id);
                continue;
            }
            Step::Enter(v) => v,
        };
        let id = match &v {
            Value::Tuple(t) => Rc::as_ptr(&t.0) as *const (),
            Value::List(l) => Rc::as_ptr(&l.0) as *const (),
            Value::Dict(d) => Rc::as_ptr(&d.0) as *const (),
            _ => continue,
        };
        if done.contains(&id) {
            continue;
        }
        if !open.insert(id) {
            return None;
        }
        steps.push(Step::Leave(id));
        match &v {
            Value::Tuple(t) => steps.extend(t.iter().cloned().map(Step::Enter)),
            Value::List(l) => steps.extend(l.borrow().iter().cloned().map(Step::Enter)),
            Value::Dict(d) => {
                steps.extend(d.borrow().iter().flat_map(|(k, v)| [Step::Enter(k.clone()), Step::Enter(v.clone())]))
            }
            _ => {}
        }
    }
    Some(done)
}

struct Unpickler<'a, 's> {
    bytes: &'a [u8],
    pos: usize,
    /// Offset of the opcode being executed.
    at: usize,
    stack: Vec<Value>,
    /// Stack heights at each MARK.
    marks: Vec<usize>,
    memo: HashMap<u64, Value>,
    storages: &'s mut HashMap<String, DType>,
    /// Every list and dict made, to break reference cycles at the end.
    containers: Vec<Container>,
}

impl Unpickler<'_, '_> {
    fn err(&self, msg: impl Into<String>) -> WeightsError {
        WeightsError::Pickle { offset: self.at, msg: msg.into() }
    }

    fn take(&mut self, n: usize) -> Result<&[u8], WeightsError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(WeightsError::Truncated(format!(
                "the pickle needs {n} bytes at byte {} but the stream has {}",
                self.pos,
                self.bytes.len().saturating_sub(self.pos)
            )));
        };
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn arr<const N: usize>(&mut self) -> Result<[u8; N], WeightsError> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }

    fn len_u8(&mut self) -> Result<usize, WeightsError> {
        Ok(self.arr::<1>()?[0] as usize)
    }

    fn len_u32(&mut self) -> Result<usize, WeightsError> {
        Ok(u32::from_le_bytes(self.arr()?) as usize)
    }

    fn len_u64(&mut self) -> Result<usize, WeightsError> {
        let n = u64::from_le_bytes(self.arr()?);
        usize::try_from(n).map_err(|_| self.err(format!("length {n} does not fit in memory")))
    }

    fn line(&mut self) -> Result<String, WeightsError> {
        let rest = &self.bytes[self.pos..];
        let Some(n) = rest.iter().position(|&b| b == b'\n') else {
            return Err(WeightsError::Truncated("a GLOBAL opcode's name is not terminated".into()));
        };
        let s = String::from_utf8_lossy(&rest[..n]).into_owned();
        self.pos += n + 1;
        Ok(s)
    }

    fn string(&mut self, n: usize) -> Result<Value, WeightsError> {
        let b = self.take(n)?;
        match std::str::from_utf8(b) {
            Ok(s) => Ok(Value::Str(s.into())),
            Err(e) => Err(self.err(format!("string is not UTF-8: {e}"))),
        }
    }

    fn bytes(&mut self, n: usize) -> Result<Value, WeightsError> {
        Ok(Value::Bytes(self.take(n)?.into()))
    }

    fn long(&mut self, n: usize) -> Result<Value, WeightsError> {
        let b = self.take(n)?;
        if b.len() <= 8 {
            let neg = b.last().is_some_and(|&x| x & 0x80 != 0);
            let mut a = [if neg { 0xff } else { 0 }; 8];
            a[..b.len()].copy_from_slice(b);
            Ok(Value::Int(i64::from_le_bytes(a)))
        } else {
            Ok(Value::BigInt(b.into()))
        }
    }

    /// A new dict, recorded for `load`'s cycle breaking.
    fn dict(&mut self, pairs: Vec<(Value, Value)>) -> Value {
        let d = Shared::from(pairs);
        self.containers.push(Container::Dict(d.clone()));
        Value::Dict(d)
    }

    fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    /// Pops one value; popping below the innermost MARK is an error, as in CPython.
    fn pop(&mut self) -> Result<Value, WeightsError> {
        if self.stack.len() <= self.marks.last().copied().unwrap_or(0) {
            return Err(self.err("stack underflow"));
        }
        Ok(self.stack.pop().expect("checked"))
    }

    fn pop_mark(&mut self) -> Result<Vec<Value>, WeightsError> {
        let m = self.marks.pop().ok_or_else(|| self.err("no MARK on the stack"))?;
        Ok(self.stack.split_off(m))
    }

    fn top(&self) -> Result<&Value, WeightsError> {
        if self.stack.len() <= self.marks.last().copied().unwrap_or(0) {
            return Err(self.err("stack underflow"));
        }
        Ok(self.stack.last().expect("checked"))
    }

    fn memo_put(&mut self, i: u64) -> Result<(), WeightsError> {
        let v = self.top()?.clone();
        self.memo.insert(i, v);
        Ok(())
    }

    fn memo_get(&mut self, i: u64) -> Result<(), WeightsError> {
        let v = self.memo.get(&i).cloned().ok_or_else(|| self.err(format!("memo entry {i} is not defined")))?;
        self.push(v);
        Ok(())
    }

    fn tuple(&mut self, n: usize) -> Result<(), WeightsError> {
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.pop()?);
        }
        items.reverse();
        self.push(Value::Tuple(items.into()));
        Ok(())
    }

    fn set_items(&mut self, items: Vec<Value>) -> Result<(), WeightsError> {
        if items.len() % 2 != 0 {
            return Err(self.err("SETITEMS with an odd number of items"));
        }
        let Value::Dict(d) = self.top()? else {
            return Err(self.err(format!("SETITEM on {}, not a dict", self.top()?.kind())));
        };
        let mut d = d.borrow_mut();
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            d.push((k, v));
        }
        Ok(())
    }

    fn append(&mut self, items: Vec<Value>) -> Result<(), WeightsError> {
        let Value::List(l) = self.top()? else {
            return Err(self.err(format!("APPEND on {}, not a list", self.top()?.kind())));
        };
        l.borrow_mut().extend(items);
        Ok(())
    }

    fn global(&mut self, module: &str, name: &str) -> Result<(), WeightsError> {
        let g = resolve(module, name)
            .ok_or_else(|| WeightsError::ForbiddenGlobal { module: module.into(), name: name.into() })?;
        self.push(Value::Global(g));
        Ok(())
    }

    fn run(&mut self) -> Result<Value, WeightsError> {
        loop {
            self.at = self.pos;
            let op = self.arr::<1>()?[0];
            match op {
                0x80 => {
                    let proto = self.arr::<1>()?[0];
                    if proto > 5 {
                        return Err(self.err(format!("pickle protocol {proto} is newer than 5")));
                    }
                }
                0x95 => {
                    self.take(8)?;
                }
                b'.' => {
                    let v = self.pop()?;
                    return Ok(v);
                }
                b'(' => self.marks.push(self.stack.len()),
                b'}' => {
                    let d = self.dict(Vec::new());
                    self.push(d);
                }
                b']' => {
                    let l = Shared::from(Vec::new());
                    self.containers.push(Container::List(l.clone()));
                    self.push(Value::List(l));
                }
                b')' => self.push(Value::Tuple(Vec::new().into())),
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(Value::Tuple(items.into()));
                }
                0x85 => self.tuple(1)?,
                0x86 => self.tuple(2)?,
                0x87 => self.tuple(3)?,
                b'X' => {
                    let n = self.len_u32()?;
                    let v = self.string(n)?;
                    self.push(v);
                }
                0x8c | b'U' => {
                    let n = self.len_u8()?;
                    let v = self.string(n)?;
                    self.push(v);
                }
                0x8d => {
                    let n = self.len_u64()?;
                    let v = self.string(n)?;
                    self.push(v);
                }
                b'T' => {
                    let n = i32::from_le_bytes(self.arr()?);
                    let n = usize::try_from(n).map_err(|_| self.err("negative string length"))?;
                    let v = self.string(n)?;
                    self.push(v);
                }
                b'B' => {
                    let n = self.len_u32()?;
                    let v = self.bytes(n)?;
                    self.push(v);
                }
                b'C' => {
                    let n = self.len_u8()?;
                    let v = self.bytes(n)?;
                    self.push(v);
                }
                0x8e => {
                    let n = self.len_u64()?;
                    let v = self.bytes(n)?;
                    self.push(v);
                }
                b'J' => {
                    let v = i32::from_le_bytes(self.arr()?);
                    self.push(Value::Int(v as i64));
                }
                b'K' => {
                    let v = self.arr::<1>()?[0];
                    self.push(Value::Int(v as i64));
                }
                b'M' => {
                    let v = u16::from_le_bytes(self.arr()?);
                    self.push(Value::Int(v as i64));
                }
                0x8a => {
                    let n = self.len_u8()?;
                    let v = self.long(n)?;
                    self.push(v);
                }
                0x8b => {
                    let n = i32::from_le_bytes(self.arr()?);
                    let n = usize::try_from(n).map_err(|_| self.err("negative LONG4 length"))?;
                    let v = self.long(n)?;
                    self.push(v);
                }
                0x88 => self.push(Value::Bool(true)),
                0x89 => self.push(Value::Bool(false)),
                b'N' => self.push(Value::None),
                b'G' => {
                    let v = f64::from_be_bytes(self.arr()?);
                    self.push(Value::Float(v));
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.global(&module, &name)?;
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (Some(module), Some(name)) = (module.as_str(), name.as_str()) else {
                        return Err(self.err("STACK_GLOBAL needs two strings"));
                    };
                    let (module, name) = (module.to_string(), name.to_string());
                    self.global(&module, &name)?;
                }
                b'R' => {
                    let args = self.pop()?;
                    let func = self.pop()?;
                    let v = self.reduce(func, args)?;
                    self.push(v);
                }
                b'Q' => {
                    let pid = self.pop()?;
                    let v = self.persistent(pid)?;
                    self.push(v);
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    self.set_items(vec![k, v])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    self.set_items(items)?;
                }
                b'a' => {
                    let v = self.pop()?;
                    self.append(vec![v])?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    self.append(items)?;
                }
                b'b' => {
                    // Only an OrderedDict's attribute dict (a state_dict's `_metadata`) is expected here; it is dropped.
                    let state = self.pop()?;
                    if !matches!(self.top()?, Value::Dict(_)) {
                        return Err(self.err(format!("BUILD on {} with {}", self.top()?.kind(), state.kind())));
                    }
                }
                b'q' => {
                    let i = self.arr::<1>()?[0];
                    self.memo_put(i as u64)?;
                }
                b'r' => {
                    let i = u32::from_le_bytes(self.arr()?);
                    self.memo_put(i as u64)?;
                }
                0x94 => {
                    let i = self.memo.len() as u64;
                    self.memo_put(i)?;
                }
                b'h' => {
                    let i = self.arr::<1>()?[0];
                    self.memo_get(i as u64)?;
                }
                b'j' => {
                    let i = u32::from_le_bytes(self.arr()?);
                    self.memo_get(i as u64)?;
                }
                b'0' => {
                    if self.marks.last() == Some(&self.stack.len()) {
                        self.marks.pop();
                    } else {
                        self.pop()?;
                    }
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let v = self.top()?.clone();
                    self.push(v);
                }
                _ => {
                    let shown = if op.is_ascii_graphic() { format!(" ('{}')", op as char) } else { String::new() };
                    return Err(self.err(format!(
                        "opcode 0x{op:02x}{shown} is not used by torch.save state_dicts and is not supported"
                    )));
                }
            }
        }
    }

    fn int(&self, v: &Value, what: &str) -> Result<u64, WeightsError> {
        match v {
            Value::Int(i) if *i >= 0 => Ok(*i as u64),
            _ => Err(self.err(format!("{what} is {}, expected a non-negative int", v.kind()))),
        }
    }

    fn ints(&self, v: &Value, what: &str) -> Result<Vec<u64>, WeightsError> {
        match v {
            Value::Tuple(t) => t.iter().map(|x| self.int(x, what)).collect(),
            _ => Err(self.err(format!("{what} is {}, expected a tuple of ints", v.kind()))),
        }
    }

    fn key(&self, v: &Value) -> Result<String, WeightsError> {
        match v {
            Value::Str(s) => Ok(s.to_string()),
            Value::Int(i) => Ok(i.to_string()),
            _ => Err(self.err(format!("storage key is {}", v.kind()))),
        }
    }

    fn reduce(&mut self, func: Value, args: Value) -> Result<Value, WeightsError> {
        let Value::Global(g) = func else {
            return Err(self.err(format!("REDUCE calls {}, which is not callable", func.kind())));
        };
        let Value::Tuple(args) = args else {
            return Err(self.err(format!("REDUCE arguments are {}, not a tuple", args.kind())));
        };
        match g {
            Global::OrderedDict => match &args[..] {
                [] => Ok(self.dict(Vec::new())),
                [Value::List(items)] => {
                    let mut pairs = Vec::new();
                    for item in items.borrow().iter() {
                        match item {
                            Value::Tuple(kv) if kv.len() == 2 => pairs.push((kv[0].clone(), kv[1].clone())),
                            _ => return Err(self.err(format!("OrderedDict item is {}, not a pair", item.kind()))),
                        }
                    }
                    Ok(self.dict(pairs))
                }
                _ => Err(self.err(format!("OrderedDict called with {} arguments", args.len()))),
            },
            Global::RebuildTensor => {
                if args.len() < 4 {
                    return Err(self.err(format!("_rebuild_tensor with {} arguments, expected at least 4", args.len())));
                }
                let Value::Storage(storage) = &args[0] else {
                    return Err(self.err(format!("_rebuild_tensor of {}, not a storage", args[0].kind())));
                };
                let offset = self.int(&args[1], "storage offset")?;
                let shape = self.ints(&args[2], "tensor size")?;
                let stride = self.ints(&args[3], "tensor stride")?;
                if shape.len() != stride.len() {
                    return Err(self.err(format!("tensor size {shape:?} and stride {stride:?} differ in rank")));
                }
                Ok(Value::Tensor(Rc::new(TensorRef { storage: storage.clone(), offset, shape, stride })))
            }
            Global::RebuildParameter => match args.first() {
                Some(t @ Value::Tensor(_)) => Ok(t.clone()),
                _ => Err(self.err("_rebuild_parameter without a tensor")),
            },
            Global::Storage(d) => Err(self.err(format!("storage type {d} called directly"))),
        }
    }

    fn persistent(&mut self, pid: Value) -> Result<Value, WeightsError> {
        let Value::Tuple(t) = &pid else {
            return Err(self.err(format!("persistent id is {}, expected a tuple", pid.kind())));
        };
        if t.first().and_then(Value::as_str) != Some("storage") || !(t.len() == 5 || t.len() == 6) {
            return Err(self
                .err(format!("persistent id {} is not ('storage', type, key, location, numel[, view])", pid.kind())));
        }
        let Value::Global(Global::Storage(dtype)) = t[1] else {
            return Err(self.err(format!("storage type is {}", t[1].kind())));
        };
        let key = self.key(&t[2])?;
        self.int(&t[4], "storage size")?;
        let view = match t.get(5) {
            None | Some(Value::None) => None,
            Some(Value::Tuple(v)) if v.len() == 3 => {
                Some((self.int(&v[1], "view offset")?, self.int(&v[2], "view size")?))
            }
            Some(other) => return Err(self.err(format!("storage view is {}", other.kind()))),
        };
        if let Some(prev) = self.storages.insert(key.clone(), dtype) {
            if prev != dtype {
                return Err(self.err(format!("storage `{key}` is read as both {prev} and {dtype}")));
            }
        }
        Ok(Value::Storage(Rc::new(StorageRef { dtype, key, view })))
    }
}
