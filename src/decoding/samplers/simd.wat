;; SIMD scans over a float32 array in linear memory, for the sampler chain's hot passes.
;; Built into simd-kernel.generated.ts by tools/build-simd.mjs (wabt); edit this file, not that one.
(module
  (memory (export "memory") 1)

;; Largest value of f32[p .. p + 4n); NaN if any value is NaN. pmax (one maxps) runs
  ;; 16 values per iteration; NaNs, which pmax would skip, are tracked in a separate mask.
  (func (export "maxF32") (param $p i32) (param $n i32) (result f32)
    (local $i i32) (local $vend i32) (local $end i32) (local $m v128) (local $nan v128) (local $v v128) (local $r f32) (local $x f32)
    (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $m (f32x4.splat (f32.const -inf)))
    (local.set $i (local.get $p))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $vend)))
        (local.set $v (v128.load (local.get $i)))
        (local.set $m (f32x4.pmax (local.get $m) (local.get $v)))
        (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=16 (local.get $i)))
        (local.set $m (f32x4.pmax (local.get $m) (local.get $v)))
        (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=32 (local.get $i)))
        (local.set $m (f32x4.pmax (local.get $m) (local.get $v)))
        (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=48 (local.get $i)))
        (local.set $m (f32x4.pmax (local.get $m) (local.get $v)))
        (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $vec)))
    (if (v128.any_true (local.get $nan)) (then (return (f32.const nan))))
    (local.set $r (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
      (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $r (f32.max (local.get $r) (f32.load (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail)))
    (local.get $r))

    ;; Smallest value, as maxF32 (NaN if any value is NaN).
  (func (export "minF32") (param $p i32) (param $n i32) (result f32)
    (local $i i32) (local $vend i32) (local $end i32) (local $m v128) (local $nan v128) (local $v v128) (local $r f32) (local $x f32)
    (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $m (f32x4.splat (f32.const inf)))
    (local.set $i (local.get $p))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $vend)))
        (local.set $v (v128.load (local.get $i)))
        (local.set $m (f32x4.pmin (local.get $m) (local.get $v)))
        (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=16 (local.get $i)))
        (local.set $m (f32x4.pmin (local.get $m) (local.get $v)))
        (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=32 (local.get $i)))
        (local.set $m (f32x4.pmin (local.get $m) (local.get $v)))
        (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=48 (local.get $i)))
        (local.set $m (f32x4.pmin (local.get $m) (local.get $v)))
        (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $vec)))
    (if (v128.any_true (local.get $nan)) (then (return (f32.const nan))))
    (local.set $r (f32.min
      (f32.min (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
      (f32.min (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $r (f32.min (local.get $r) (f32.load (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail)))
    (local.get $r))

  ;; Writes the indices of values ≥ thr in f32[p .. p + 4n) to i32[out ..], in order, and
  ;; returns how many, or -1 if any value is NaN. Sixteen values are compared per step (four SIMD compares, one
  ;; branch) and a block with no hit is skipped, so a selective threshold is nearly a memcpy.
  (func (export "collectAtLeast") (param $p i32) (param $n i32) (param $thr f32) (param $out i32) (result i32)
    (local $i i32) (local $vend i32) (local $end i32) (local $t v128) (local $c i32) (local $j i32) (local $idx i32) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $nan v128)
    (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $t (f32x4.splat (local.get $thr)))
    (local.set $i (local.get $p))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $vend)))
        (local.set $v0 (v128.load (local.get $i)))
        (local.set $v1 (v128.load offset=16 (local.get $i)))
        (local.set $v2 (v128.load offset=32 (local.get $i)))
        (local.set $v3 (v128.load offset=48 (local.get $i)))
        ;; NaN never compares ≥, so it is tracked here: the caller must not miss one.
        (local.set $nan (v128.or (local.get $nan) (v128.or
          (v128.or (f32x4.ne (local.get $v0) (local.get $v0)) (f32x4.ne (local.get $v1) (local.get $v1)))
          (v128.or (f32x4.ne (local.get $v2) (local.get $v2)) (f32x4.ne (local.get $v3) (local.get $v3))))))
        (if (v128.any_true (v128.or
              (v128.or (f32x4.ge (local.get $v0) (local.get $t)) (f32x4.ge (local.get $v1) (local.get $t)))
              (v128.or (f32x4.ge (local.get $v2) (local.get $t)) (f32x4.ge (local.get $v3) (local.get $t)))))
          (then
            (local.set $j (i32.const 0))
            (loop $lanes
              (if (f32.ge (f32.load (i32.add (local.get $i) (i32.shl (local.get $j) (i32.const 2)))) (local.get $thr))
                (then
                  (local.set $idx (i32.add (i32.shr_u (i32.sub (local.get $i) (local.get $p)) (i32.const 2)) (local.get $j)))
                  (i32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))) (local.get $idx))
                  (local.set $c (i32.add (local.get $c) (i32.const 1)))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $lanes (i32.lt_u (local.get $j) (i32.const 16))))))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $vec)))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $end)))
        (if (f32.ge (f32.load (local.get $i)) (local.get $thr))
          (then
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
              (i32.shr_u (i32.sub (local.get $i) (local.get $p)) (i32.const 2)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))))
        (if (f32.ne (f32.load (local.get $i)) (f32.load (local.get $i))) (then (return (i32.const -1))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail)))
    (if (v128.any_true (local.get $nan)) (then (return (i32.const -1))))
    (local.get $c))

  ;; As collectAtLeast, and also writes the values to f32[vals ..] (a min-p cut in one pass).
  (func (export "compactAtLeast") (param $p i32) (param $n i32) (param $thr f32) (param $out i32) (param $vals i32) (result i32)
    (local $i i32) (local $vend i32) (local $end i32) (local $t v128) (local $c i32) (local $j i32) (local $idx i32)
    (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $t (f32x4.splat (local.get $thr)))
    (local.set $i (local.get $p))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $vend)))
        (if (v128.any_true (v128.or
              (v128.or (f32x4.ge (v128.load (local.get $i)) (local.get $t)) (f32x4.ge (v128.load offset=16 (local.get $i)) (local.get $t)))
              (v128.or (f32x4.ge (v128.load offset=32 (local.get $i)) (local.get $t)) (f32x4.ge (v128.load offset=48 (local.get $i)) (local.get $t)))))
          (then
            (local.set $j (i32.const 0))
            (loop $lanes
              (if (f32.ge (f32.load (i32.add (local.get $i) (i32.shl (local.get $j) (i32.const 2)))) (local.get $thr))
                (then
                  (local.set $idx (i32.add (i32.shr_u (i32.sub (local.get $i) (local.get $p)) (i32.const 2)) (local.get $j)))
                  (i32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))) (local.get $idx))
                  (f32.store (i32.add (local.get $vals) (i32.shl (local.get $c) (i32.const 2)))
                    (f32.load (i32.add (local.get $p) (i32.shl (local.get $idx) (i32.const 2)))))
                  (local.set $c (i32.add (local.get $c) (i32.const 1)))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $lanes (i32.lt_u (local.get $j) (i32.const 16))))))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $vec)))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $end)))
        (if (f32.ge (f32.load (local.get $i)) (local.get $thr))
          (then
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
              (i32.shr_u (i32.sub (local.get $i) (local.get $p)) (i32.const 2)))
            (f32.store (i32.add (local.get $vals) (i32.shl (local.get $c) (i32.const 2))) (f32.load (local.get $i)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail)))
    (local.get $c))
)
