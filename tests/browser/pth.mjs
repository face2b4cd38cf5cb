// Writes a state_dict as a PyTorch zip checkpoint (torch >= 1.6 layout, as
// torch.save writes it: archive/data.pkl with pickle protocol 2 and
// persistent storage ids, one stored zip entry per storage), from an f32
// safetensors file. Enough to test .pth loading without torch.

import zlib from 'node:zlib';

/** Tensors of an all-F32 safetensors file, in file order: [{name, shape, data: Buffer}]. */
export function readSafetensors(buf) {
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.toString('utf8', 8, 8 + n));
  return Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, t]) => {
      if (t.dtype !== 'F32') throw new Error(`${name}: dtype ${t.dtype}, expected F32`);
      return { name, shape: t.shape, data: buf.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]), start: t.data_offsets[0] };
    })
    .sort((a, b) => a.start - b.start);
}

const op = (c) => Buffer.from(c, 'latin1');
const str = (s) => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(b.length);
  return Buffer.concat([op('X'), len, b]);
};
const int = (v) => {
  const b = Buffer.alloc(5);
  b[0] = 0x4a; // BININT
  b.writeInt32LE(v, 1);
  return b;
};
const global = (module, name) => op(`c${module}\n${name}\n`);
const tuple = (items) => Buffer.concat([op('('), ...items, op('t')]);

function pickleStateDict(tensors) {
  const parts = [Buffer.from([0x80, 2]), global('collections', 'OrderedDict'), op(')R('), ];
  tensors.forEach((t, i) => {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const strides = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    parts.push(
      str(t.name),
      global('torch._utils', '_rebuild_tensor_v2'),
      op('('),
      tuple([str('storage'), global('torch', 'FloatStorage'), str(String(i)), str('cpu'), int(numel)]),
      op('Q'), // BINPERSID
      int(0),
      tuple(t.shape.map(int)),
      tuple(strides.map(int)),
      Buffer.from([0x89]), // NEWFALSE: requires_grad
      global('collections', 'OrderedDict'),
      op(')R'),
      op('tR'),
    );
  });
  parts.push(op('u.'));
  return Buffer.concat(parts);
}

/** A zip of [name, bytes] records, stored (uncompressed), each record's data 64-byte aligned as torch.save writes them. */
export function zipStored(records) {
  const out = [];
  const central = [];
  let offset = 0;
  for (const [name, data] of records) {
    const nameBuf = Buffer.from(name);
    // torch aligns each record's data to 64 bytes with an 'FB' extra field.
    const start = offset + 30 + nameBuf.length + 4;
    const pad = (64 - (start % 64)) % 64;
    const extra = Buffer.concat([Buffer.from('FB'), Buffer.from([pad & 255, pad >> 8]), Buffer.alloc(pad, 0x5a)]);
    const crc = zlib.crc32 ? zlib.crc32(data) : crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(data.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(nameBuf.length, 28);
    cd.writeUInt32LE(offset, 42);
    out.push(local, nameBuf, extra, data);
    central.push(cd, nameBuf);
    offset += 30 + nameBuf.length + extra.length + data.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(records.length, 8);
  end.writeUInt16LE(records.length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...out, cdBuf, end]);
}

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A PyTorch zip checkpoint holding the tensors of an f32 safetensors file. */
export function safetensorsToPth(buf, archive = 'latest_net_G') {
  const tensors = readSafetensors(buf);
  return zipStored([
    [`${archive}/data.pkl`, pickleStateDict(tensors)],
    [`${archive}/byteorder`, Buffer.from('little')],
    ...tensors.map((t, i) => [`${archive}/data/${i}`, Buffer.from(t.data)]),
    [`${archive}/version`, Buffer.from('3\n')],
  ]);
}
