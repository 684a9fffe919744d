"""Writes one blob into a Hugging Face cache the way huggingface_hub's http_get does, slowly.

Takes the per-blob lock .locks/<repo folder>/<etag>.lock with fcntl.flock (as filelock's UnixFileLock does), opens
blobs/<etag>.incomplete for appending, appends the rest of the content from where the file stands (resuming, as
huggingface_hub does) in small slow chunks, then renames it to blobs/<etag>.

usage: hf_style_writer.py LOCK_FILE INCOMPLETE_FILE BLOB_FILE CONTENT_FILE
Prints "locked" once the lock is held and "done" at the end.
"""
import fcntl
import os
import sys
import time

lock_path, incomplete, blob, content_path = sys.argv[1:5]
with open(content_path, "rb") as f:
    content = f.read()
os.makedirs(os.path.dirname(lock_path), exist_ok=True)
with open(lock_path, "a") as lock:
    fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
    print("locked", flush=True)
    with open(incomplete, "ab") as out:
        at = out.tell()
        while at < len(content):
            out.write(content[at:at + 8192])
            out.flush()
            at += 8192
            time.sleep(0.01)
    os.replace(incomplete, blob)
    print("done", flush=True)
