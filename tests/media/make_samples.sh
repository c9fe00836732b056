#!/bin/sh
# Regenerate the tiny media samples used by tests/test_streams.py.
# Needs ffmpeg with libx264, libx265 and libaom (Debian's ffmpeg has them). CI does not run
# this: the generated files are committed. Every sample is 1 s long, tiny and low bitrate.
set -eu
cd "$(dirname "$0")"
FF="${FFMPEG:-ffmpeg} -hide_banner -loglevel error -y"
VIDEO="testsrc2=size=160x90:rate=12:duration=1"
SINE="sine=frequency=440:sample_rate=48000:duration=1"

cat > /tmp/metarrd-sample.srt <<'SRT'
1
00:00:00,000 --> 00:00:00,900
Hallo Welt
SRT

# h264 + aac stereo (eng) + ac3 5.1 (fre) + subrip (ger)
$FF -f lavfi -i "$VIDEO" -f lavfi -i "$SINE" -f lavfi -i "$SINE" -i /tmp/metarrd-sample.srt \
    -map 0:v -map 1:a -map 2:a -map 3:s \
    -c:v libx264 -preset veryfast -crf 40 -pix_fmt yuv420p \
    -c:a:0 aac -b:a:0 32k -ac:a:0 2 \
    -c:a:1 ac3 -b:a:1 96k -ac:a:1 6 \
    -c:s srt \
    -metadata:s:a:0 language=eng -metadata:s:a:1 language=fre -metadata:s:s:0 language=ger \
    h264_aac_2audio_sub.mkv

# HEVC 10 bit with HDR10 signalling (BT.2020, PQ, mastering display, MaxCLL)
X265_HDR10="log-level=error:hdr10=1:hdr10-opt=1:repeat-headers=1"
X265_HDR10="$X265_HDR10:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc"
X265_HDR10="$X265_HDR10:master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)"
X265_HDR10="$X265_HDR10:max-cll=1000,400"
$FF -f lavfi -i "$VIDEO" -f lavfi -i "$SINE" \
    -c:v libx265 -preset ultrafast -crf 40 -pix_fmt yuv420p10le \
    -x265-params "$X265_HDR10" \
    -color_primaries bt2020 -color_trc smpte2084 -colorspace bt2020nc \
    -c:a eac3 -b:a 96k -ac 6 -metadata:s:a:0 language=en \
    hevc_hdr10.mkv

# AV1 + opus, flagged as side-by-side 3D (Matroska StereoMode 1)
$FF -f lavfi -i "$VIDEO" -f lavfi -i "$SINE" \
    -c:v libaom-av1 -cpu-used 8 -crf 60 -b:v 0 -pix_fmt yuv420p \
    -c:a libopus -b:a 16k -ac 2 \
    -metadata:s:v:0 stereo_mode=left_right \
    av1_opus_sbs.mkv

# Audio only (no video track): opus in Matroska audio
$FF -f lavfi -i "$SINE" -c:a libopus -b:a 12k -ac 1 audio_only.mka

# MPEG-2 + mp2 in an MPEG program stream (what a DVD's VOB holds)
$FF -f lavfi -i "testsrc2=size=160x90:rate=25:duration=1" -f lavfi -i "$SINE" \
    -c:v mpeg2video -b:v 60k -g 25 -c:a mp2 -b:a 32k -ac 1 \
    mpeg2_mp2.mpg

# h264 + ac3 in an MPEG transport stream with 192-byte packets (what a Blu-ray's m2ts holds)
$FF -f lavfi -i "$VIDEO" -f lavfi -i "$SINE" \
    -c:v libx264 -preset veryfast -crf 45 -pix_fmt yuv420p \
    -c:a ac3 -b:a 64k -ac 2 -metadata:s:a:0 language=jpn \
    -f mpegts -mpegts_m2ts_mode 1 \
    h264_ac3.m2ts

# MP4: h264 + aac mono, 4:3
$FF -f lavfi -i "testsrc2=size=120x90:rate=12:duration=1" -f lavfi -i "$SINE" \
    -c:v libx264 -preset veryfast -crf 40 -pix_fmt yuv420p \
    -c:a aac -b:a 24k -ac 1 -metadata:s:a:0 language=deu \
    -movflags +faststart \
    h264_aac_mono.mp4

# AVI: MPEG-4 part 2 (xvid fourcc) + mp3
$FF -f lavfi -i "$VIDEO" -f lavfi -i "$SINE" \
    -c:v mpeg4 -vtag XVID -q:v 20 -c:a libmp3lame -b:a 32k -ac 2 \
    xvid_mp3.avi

# A DVB recording: h264 + mp2 (ger) in a transport stream with a teletext stream beside them, as
# a DVB-T/S receiver records it (the index page 100 and the subtitle page 888, German). ffmpeg
# writes no teletext, so its PMT gets the stream's entry (stream_type 6, teletext_descriptor
# 0x56, EN 300 468 6.2.43) and a PES packet of stuffing follows each PMT (EN 300 472).
$FF -f lavfi -i "$VIDEO" -f lavfi -i "$SINE" \
    -c:v libx264 -preset veryfast -crf 45 -pix_fmt yuv420p \
    -c:a mp2 -b:a 32k -ac 1 -metadata:s:a:0 language=deu \
    -f mpegts /tmp/metarrd-dvb.ts
python3 - /tmp/metarrd-dvb.ts h264_mp2_teletext.ts <<'PY'
import sys

def crc32_mpeg(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
    return crc

TELETEXT_PID, PMT_PID = 0x102, 0x1000  # ffmpeg's PMT PID
pages = b"deu" + bytes([1 << 3 | 1, 0x00]) + b"deu" + bytes([2 << 3 | 0, 0x88])  # 100, 888
descriptor = bytes([0x56, len(pages)]) + pages
entry = bytes([0x06, 0xE0 | TELETEXT_PID >> 8, TELETEXT_PID & 0xFF, 0xF0, len(descriptor)])
entry += descriptor
data, out, counter = open(sys.argv[1], "rb").read(), bytearray(), 0
for at in range(0, len(data), 188):
    packet = bytearray(data[at : at + 188])
    pmt = ((packet[1] & 0x1F) << 8 | packet[2]) == PMT_PID and packet[1] & 0x40
    if pmt:
        start = 5 + packet[4]
        length = (packet[start + 1] & 0x0F) << 8 | packet[start + 2]
        body = bytearray(packet[start : start + 3 + length - 4]) + entry  # without its CRC
        length += len(entry)
        body[1:3] = bytes([body[1] & 0xF0 | length >> 8, length & 0xFF])
        section = bytes([0]) + body + crc32_mpeg(body).to_bytes(4, "big")
        packet = packet[:4] + section + b"\xff" * (184 - len(section))
    out += packet
    if pmt:  # data_identifier 0x10 (EBU data), one stuffing data unit
        payload = bytes([0x10, 0xFF, 0x2C]) + b"\xff" * 44
        pes = b"\x00\x00\x01\xbd" + (len(payload) + 3).to_bytes(2, "big") + bytes([0x80, 0, 0])
        pes += payload
        head = bytes([0x47, 0x40 | TELETEXT_PID >> 8, TELETEXT_PID & 0xFF, 0x10 | counter])
        out += (head + pes).ljust(188, b"\xff")
        counter = (counter + 1) & 0x0F
open(sys.argv[2], "wb").write(out)
PY
rm -f /tmp/metarrd-dvb.ts

# A Windows Media Center recording (WTV), gzipped (mostly zero padding): MediaInfo names the
# container but lists no track of it
$FF -f lavfi -i "testsrc2=size=64x36:rate=5:duration=0.2" -c:v mpeg2video -b:v 20k \
    -f wtv /tmp/metarrd-recording.wtv
gzip -9 -n -c /tmp/metarrd-recording.wtv > mpeg2_recording.wtv.gz
rm -f /tmp/metarrd-recording.wtv

# Not a media file: a Matroska (EBML) magic number followed by garbage.
printf '\032\105\337\243' > corrupt.mkv
yes 'not a video' | head -c 4000 >> corrupt.mkv

rm -f /tmp/metarrd-sample.srt
ls -l
