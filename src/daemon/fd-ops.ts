/**
 * The fd-level file operations the state store and its directory use, as promises over node:fs's callback
 * API (a plain fd, not a FileHandle: the directory fd is handed to the addon's one-job save).
 */
import fs from 'node:fs';

export function open(file: string, flags: number, mode?: number): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, flags, mode, (err, fd) => (err === null ? resolve(fd) : reject(err))));
}
export function fstat(fd: number): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.fstat(fd, (err, st) => (err === null ? resolve(st) : reject(err))));
}
export function close(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (err) => (err === null ? resolve() : reject(err))));
}
export function fsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err === null ? resolve() : reject(err))));
}
export function rename(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => fs.rename(from, to, (err) => (err === null ? resolve() : reject(err))));
}
export function unlink(file: string): Promise<void> {
  return new Promise((resolve, reject) => fs.unlink(file, (err) => (err === null ? resolve() : reject(err))));
}
