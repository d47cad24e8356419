"""Writes a module of resizes whose target is computed from shapes at run
time (sizes = x's N, C and guide's H, W: a feature pyramid's top-down
path), one result per point of ONNX Resize's attribute space: every mode
with every coordinate transform, every nearest mode with the transforms
where ties happen (half_pixel, tf_half_pixel_for_nn), cubic coefficients
and exclude_outside; and resizes by constant scales of symbolic dims."""
import itertools

transforms = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
              "tf_half_pixel_for_nn"]
variants = []
nearest = [(t, "round_prefer_floor") for t in transforms] + list(itertools.product(
    ["half_pixel", "tf_half_pixel_for_nn"], ["round_prefer_ceil", "floor", "ceil"]))
for transform, nearest in nearest:
    variants.append('mode = "nearest", coordinate_transformation_mode = "%s", '
                    'nearest_mode = "%s"' % (transform, nearest))
for transform in transforms:
    variants.append('mode = "linear", coordinate_transformation_mode = "%s"' % transform)
for transform in transforms:
    variants.append('mode = "cubic", coordinate_transformation_mode = "%s"' % transform)
for transform in ("half_pixel", "align_corners"):
    variants.append('mode = "cubic", coordinate_transformation_mode = "%s", '
                    'exclude_outside = 1' % transform)
variants += ['mode = "cubic", cubic_coeff_a = -0.5',
             'mode = "nearest", coordinate_transformation_mode = "asymmetric", exclude_outside = 1',
             'mode = "linear", exclude_outside = 1']

print("graph @main(%x: f32[N,C,H,W], %guide: f32[1,1,OH,OW]) {")
print("  %sx = shape(%x) : i64[4]")
print("  %sg = shape(%guide) : i64[4]")
for i in (0, 2, 4):
    print("  %%i%d = constant() {value = dense<i64[1] [%d]>} : i64[1]" % (i, i))
print("  %nc = slice(%sx, %i0, %i2) : i64[2]")
print("  %hw = slice(%sg, %i2, %i4) : i64[2]")
print("  %sizes = concat(%nc, %hw) {axis = 0} : i64[4]")
print("  %twice = constant() {value = dense<f32[4] [1.0, 1.0, 2.0, 2.0]>} : f32[4]")
results = []
for i, attributes in enumerate(variants):
    print("  %%r%d = resize(%%x, %%sizes) {%s} : f32[?,?,?,?]" % (i, attributes))
    results.append("%%r%d" % i)
for i, mode in enumerate(["nearest", "linear"]):
    print('  %%s%d = resize(%%x, %%twice) {mode = "%s"} : f32[N,C,2*H,2*W]' % (i, mode))
    results.append("%%s%d" % i)
print("  return " + ", ".join(results))
print("}")
