#!/usr/bin/env bash
# Make the benchmark's audio sample: 20 s, mono, 16-bit PCM, 16 kHz WAV.
#   usage: bash static/make-sample.sh static/sample.wav
#
# Second n (0-based) holds espeak-ng saying the number n+1 ("one" … "twenty"), so any position in
# the file can be identified by ear, and a steady 440 Hz tone runs under the whole file, so a gap
# (concealed frames = silence) is audible even between words and visible as a flat line in a
# waveform. Output is byte-identical on every run with the same espeak-ng/sox versions: no dither
# (-D), repeatable mode (-R), no timestamps in the WAV header.
set -euo pipefail

out=${1:?usage: bash static/make-sample.sh OUT.wav}

for tool in espeak-ng sox; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "make-sample.sh: '$tool' is not installed (apt-get install espeak-ng sox)" >&2
    exit 1
  fi
done

RATE=16000
SECONDS_TOTAL=20
VOICE=en-us
WPM=190        # fast enough that the longest word ("seventeen", ~0.57 s) fits in its second
TONE_HZ=440
TONE_VOL=0.12  # linear, before mixing: clearly audible under speech, never masks it

words=(one two three four five six seven eight nine ten
       eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty)

work=$(mktemp -d)
out_dir=$(dirname -- "$out")
mkdir -p -- "$out_dir"
# The temp output lives next to the target so the final mv is an atomic rename.
tmp_out=$(mktemp "$out_dir/.sample.XXXXXX")
trap 'rm -rf -- "$work" "$tmp_out"' EXIT

# 16-bit mono at RATE, no dither, repeatable: the only sox settings that touch the output bytes.
SOX=(sox -R -D -V1)
FMT=(-r "$RATE" -c 1 -b 16 -e signed-integer)

parts=()
for ((i = 0; i < SECONDS_TOTAL; i++)); do
  word=${words[i]}
  espeak-ng -v "$VOICE" -s "$WPM" -w "$work/raw$i.wav" "$word"
  # Strip espeak's leading silence, start the word 50 ms into its second, cut to exactly 1 s
  # (fade the last 20 ms so a long word cannot click at the boundary).
  "${SOX[@]}" "$work/raw$i.wav" "${FMT[@]}" "$work/w$i.wav" \
    rate "$RATE" silence 1 0.01 1% pad 0.05 1 trim 0 1 fade t 0 1 0.02
  parts+=("$work/w$i.wav")
done
"${SOX[@]}" "${parts[@]}" "${FMT[@]}" "$work/speech.wav"

"${SOX[@]}" -n "${FMT[@]}" "$work/tone.wav" synth "$SECONDS_TOTAL" sine "$TONE_HZ" vol "$TONE_VOL"

# -m sums (each input scaled by 1/2); gain -n normalises the mix to -1 dBFS peak.
"${SOX[@]}" -m "$work/speech.wav" "$work/tone.wav" "${FMT[@]}" -t wav "$tmp_out" gain -n -1

chmod 644 -- "$tmp_out"   # mktemp makes it 0600
mv -f -- "$tmp_out" "$out"
echo "make-sample.sh: wrote $out ($(sox --i -d "$out"), $(stat -c %s "$out") bytes)"
