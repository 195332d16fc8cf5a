import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BYTE_TO_UNICODE, trainBpe, tokenTextToBytes } from '../../tools/model/bpe';
import { bool, encodeGguf, f32, f32Arr, fromFloat16Bits, i32, i32Arr, str, strArr, toFloat16Bits, u32, u64 } from '../../tools/model/gguf-writer';
import { preTokenize } from '../../tools/model/pretokenize';
import { importNodeLlamaCpp } from '../support/test-models';

describe('gguf-writer', () => {
    let dir: string;
    before(() => {
        dir = mkdtempSync(join(tmpdir(), 'tokentree-gguf-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('rounds to float16 to nearest, ties to even', () => {
        const cases: Array<[number, number]> = [
            [0, 0x0000],
            [-0, 0x8000],
            [1, 0x3c00],
            [-2, 0xc000],
            [65504, 0x7bff],
            [65519.99, 0x7bff],
            [65520, 0x7c00], // halfway to 65536 rounds to even, i.e. overflows to inf
            [Infinity, 0x7c00],
            [-Infinity, 0xfc00],
            [1 + 2 ** -11, 0x3c00], // tie between 0x3c00 and 0x3c01: even wins
            [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02: even wins
            [1 + 2 ** -11 + 2 ** -30, 0x3c01], // just above the tie
            [2 ** -24, 0x0001], // smallest subnormal
            [2 ** -25, 0x0000], // tie with zero: even (zero) wins
            [3 * 2 ** -25, 0x0002],
            [2 ** -14 - 2 ** -25, 0x0400], // rounds up from subnormal into the smallest normal
            [0.1, 0x2e66],
            [1 / 3, 0x3555]
        ];
        for (const [x, bits] of cases) assert.equal(toFloat16Bits(x), bits, `f16(${x})`);
        assert.equal(toFloat16Bits(NaN) & 0x7c00, 0x7c00);
        assert.ok(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN))));
        for (let h = 0; h < 0x7c00; h += 7) assert.equal(toFloat16Bits(fromFloat16Bits(h)), h, 'f16 values round-trip');
    });

    it('writes every value type so node-llama-cpp reads the same values back', async () => {
        const { readGgufFileInfo } = await importNodeLlamaCpp();
        const bytes = encodeGguf({
            metadata: [
                ['general.architecture', str('llama')],
                ['t.u32', u32(4294967295)],
                ['t.i32', i32(-123456)],
                ['t.f32', f32(0.25)],
                ['t.bool', bool(true)],
                ['t.str', str('héllo ▁<PRE> <｜fim▁begin｜>')],
                ['t.u64', u64(1n << 40n)],
                ['t.strs', strArr(['a', '', 'Ġx'])],
                ['t.ints', i32Arr([1, -2, 3])],
                ['t.floats', f32Arr([1.5, -0.5])]
            ],
            tensors: [
                { name: 'a', shape: [3, 2], type: 'F32', data: [1, 2, 3, 4, 5, 6] },
                { name: 'b', shape: [5], type: 'F16', data: [0.1, -2, 65504, 1e-7, 0] }
            ]
        });
        const path = join(dir, 'all-types.gguf');
        writeFileSync(path, bytes);
        const info = await readGgufFileInfo(path, { logWarnings: false });
        assert.equal(info.version, 3);
        const t = (info.metadata as unknown as { t: Record<string, unknown> }).t;
        assert.deepEqual(t, {
            u32: 4294967295,
            i32: -123456,
            f32: 0.25,
            bool: true,
            str: 'héllo ▁<PRE> <｜fim▁begin｜>',
            u64: 1n << 40n,
            strs: ['a', '', 'Ġx'],
            ints: [1, -2, 3],
            floats: [1.5, -0.5]
        });
        assert.equal(info.metadata.general.alignment, 32);
        const tensors = info.tensorInfo ?? [];
        assert.deepEqual(tensors.map((x) => [x.name, x.dimensions.map(Number), x.ggmlType, Number(x.offset)]), [
            ['a', [3, 2], 0, 0],
            ['b', [5], 1, 32]
        ]);
        const dataStart = Number(tensors[0].fileOffset);
        assert.equal(dataStart % 32, 0, 'data section is aligned');
        assert.equal(bytes.readFloatLE(dataStart + 4 * 5), 6);
        const b = Number(tensors[1].fileOffset);
        assert.deepEqual([0, 1, 2, 3].map((i) => bytes.readUInt16LE(b + 2 * i)), [0x2e66, 0xc000, 0x7bff, 0x0002]);
        assert.equal(bytes.length % 32, 0, 'last tensor is padded');
    });

    it('is deterministic and rejects malformed input', () => {
        const file = { metadata: [['k', u32(1)] as const], tensors: [{ name: 'x', shape: [2], type: 'F16' as const, data: [1, 2] }] };
        assert.ok(encodeGguf(file).equals(encodeGguf(file)));
        assert.throws(() => encodeGguf({ metadata: [['k', u32(1)], ['k', u32(2)]], tensors: [] }), /duplicate metadata key/);
        assert.throws(() => encodeGguf({ metadata: [], tensors: [{ name: 'x', shape: [3], type: 'F32', data: [1] }] }), /elements/);
        assert.throws(() => encodeGguf({ metadata: [['k', u32(-1)]], tensors: [] }), /out of range/);
    });
});

describe('qwen2 pre-tokenizer and byte-level BPE', () => {
    it('splits code the way llama.cpp splits for tokenizer.ggml.pre = qwen2', () => {
        assert.deepEqual(preTokenize("function add(a: number, b: number) {\n  return a + b; // it's 42\n}\n"), [
            'function', ' add', '(a', ':', ' number', ',', ' b', ':', ' number', ')', ' {\n', ' ', ' return', ' a', ' +', ' b', ';',
            ' //', ' it', "'s", ' ', '4', '2', '\n', '}\n'
        ]);
        assert.deepEqual(preTokenize("DON'T x\t\ty  \n\n  z"), ['DON', "'T", ' x', '\t', '\ty', '  \n\n', ' ', ' z']);
        assert.deepEqual(preTokenize('ünï 😀 .e'), ['ünï', ' 😀', ' .', 'e']);
    });

    it('maps all 256 bytes to distinct printable characters (GPT-2 bytes_to_unicode)', () => {
        assert.equal(new Set(BYTE_TO_UNICODE).size, 256);
        assert.equal(BYTE_TO_UNICODE[0x20], 'Ġ');
        assert.equal(BYTE_TO_UNICODE[0x0a], 'Ċ');
        assert.equal(BYTE_TO_UNICODE[0x41], 'A');
        assert.deepEqual([...tokenTextToBytes('ĠĊA')], [0x20, 0x0a, 0x41]);
    });

    it('trains merges deterministically and encodes/decodes losslessly', () => {
        const text = 'const value = compute(value);\nconst other = compute(other);\n'.repeat(20) + 'naïve ünïcode 😀\n';
        const counts = new Map<string, number>();
        for (const w of preTokenize(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
        const a = trainBpe(counts, { vocabSize: 300 });
        const b = trainBpe(counts, { vocabSize: 300 });
        assert.deepEqual(a.mergeStrings(), b.mergeStrings());
        assert.ok(a.tokens.length > 270 && a.tokens.length <= 300, `vocab ${a.tokens.length}`);
        assert.equal(new Set(a.tokens).size, a.tokens.length, 'token texts are unique');
        assert.ok(a.tokens.includes('Ġcompute'), 'frequent words become single tokens');
        const ids = a.encode(text);
        assert.ok(ids.length < Buffer.byteLength(text) / 3, 'merges compress the text');
        assert.equal(a.decode(ids), text);
        assert.equal(a.decode(a.encode('unseen words ☃ 123')), 'unseen words ☃ 123');
    });
});
