#!/usr/bin/env python3
"""Drive a Matrix homeserver through a two-user conversation with matrix-nio.

Usage: python conversation.py BASE_URL      (e.g. http://127.0.0.1:8008)

Needs matrix-nio with end-to-end encryption support. The server must offer
open registration with the m.login.dummy flow. Two fresh users, alice and bob,
then:

  1. register, upload device keys, initial sync
  2. plain room: alice creates it and invites bob, bob joins
  3. alice sends 3 messages, bob receives them in order
  4. typing notifications start and stop
  5. bob's read receipt reaches alice
  6. bob pages back through the room history, 2 events per page
  7. encrypted room: alice creates it and invites bob, bob joins
  8. alice sends an encrypted message, bob decrypts it
  9. bob replies encrypted, alice decrypts it
 10. both clients close

One line is printed per step. Exit status 0 means every step passed; on the
first failure the step and what was seen are printed and the status is 1.
"""

import asyncio
import secrets
import shutil
import sys
import tempfile
import time
import traceback

from nio import (
    AsyncClient,
    AsyncClientConfig,
    EncryptionError,
    ErrorResponse,
    JoinResponse,
    KeysUploadResponse,
    MegolmEvent,
    MessageDirection,
    ReceiptEvent,
    RegisterResponse,
    RoomCreateEvent,
    RoomCreateResponse,
    RoomInviteResponse,
    RoomMemberEvent,
    RoomMessagesResponse,
    RoomMessageText,
    RoomReadMarkersResponse,
    RoomSendResponse,
    RoomTypingResponse,
    SyncResponse,
    TypingNoticeEvent,
)

WAIT_SECONDS = 30  # deadline of every wait_for
STEP_SECONDS = 90  # hard cap of a whole step, in case a request hangs
POLL_MS = 5000  # long-poll timeout of each /sync inside a wait
DECRYPT_GRACE_SECONDS = 10  # how long an undecryptable event may wait for its key
PAGE_LIMIT = 2
MAX_PAGES = 50
MEGOLM = "m.megolm.v1.aes-sha2"


class StepFailed(Exception):
    """A step did not see what it expected; the message says what was seen."""


def describe(response):
    """A short human-readable summary of a nio response, for failure messages."""
    if isinstance(response, ErrorResponse):
        status = getattr(response.transport_response, "status", "?")
        return (
            f"{type(response).__name__} (HTTP {status}, "
            f"errcode={response.status_code}): {response.message}"
        )
    return repr(response)


def expect(response, response_type, what):
    """Return `response` if it is a `response_type`, else fail with its error."""
    if not isinstance(response, response_type):
        raise StepFailed(f"{what}: expected {response_type.__name__}, got {describe(response)}")
    return response


def timeline(response, room_id):
    """The timeline events of joined room `room_id` in a sync response."""
    room = response.rooms.join.get(room_id)
    return room.timeline.events if room else []


def ephemeral(response, room_id):
    """The ephemeral events of joined room `room_id` in a sync response."""
    room = response.rooms.join.get(room_id)
    return room.ephemeral if room else []


async def wait_for(client, condition, what, seen=None):
    """Sync `client` until `condition(sync_response)` is truthy and return that value.

    Each /sync long-polls for at most POLL_MS and continues from the client's
    last sync token, so only events newer than the previous sync are seen.
    Fails after WAIT_SECONDS; `seen` (a list the condition may fill) is then
    included in the message.
    """
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            detail = f"; seen so far: {seen}" if seen is not None else ""
            raise StepFailed(
                f"{client.user_id} timed out after {WAIT_SECONDS}s waiting for {what}{detail}"
            )
        response = await client.sync(timeout=int(min(remaining * 1000, POLL_MS)))
        expect(response, SyncResponse, f"{client.user_id} /sync while waiting for {what}")
        result = condition(response)
        if result:
            return result


async def register(client, name):
    """Register a fresh user with the dummy flow, upload device keys and sync once."""
    username = f"{name}_{secrets.token_hex(4)}"
    expect(
        await client.register(username, secrets.token_urlsafe(16), device_name=f"nio {name}"),
        RegisterResponse,
        f"register {username}",
    )
    if client.olm is None:
        client.load_store()
    if client.olm is None:
        raise StepFailed(f"{client.user_id}: no olm account after register (nio without e2e?)")
    if client.should_upload_keys:
        keys = expect(await client.keys_upload(), KeysUploadResponse, f"{username} keys/upload")
        if keys.signed_curve25519_count <= 0:
            raise StepFailed(f"{username} keys/upload: server counts no one-time keys: {keys}")
    expect(await client.sync(timeout=0), SyncResponse, f"{username} initial /sync")
    return f"{client.user_id} device {client.device_id}"


async def step_register(alice, bob):
    """Step 1: register both users."""
    return ", ".join([await register(alice, "alice"), await register(bob, "bob")])


async def invite_and_join(alice, bob, room_id):
    """Alice invites bob to `room_id`; bob sees the invite and joins; alice sees the join."""
    expect(await alice.room_invite(room_id, bob.user_id), RoomInviteResponse, "alice invites bob")
    await wait_for(bob, lambda r: room_id in r.rooms.invite, f"the invite to {room_id}")
    expect(await bob.join(room_id), JoinResponse, f"bob joins {room_id}")

    def bob_joined(response):
        return any(
            isinstance(event, RoomMemberEvent)
            and event.state_key == bob.user_id
            and event.membership == "join"
            for event in timeline(response, room_id)
        )

    await wait_for(alice, bob_joined, f"bob's join event in {room_id}")


async def step_plain_room(alice, bob):
    """Step 2: alice creates an unencrypted room and bob joins it."""
    room_id = expect(await alice.room_create(name="plain"), RoomCreateResponse, "create room").room_id
    await invite_and_join(alice, bob, room_id)
    return room_id


async def step_messages(alice, bob, room_id):
    """Step 3: alice sends 3 messages; bob sees them in order. Returns the messages."""
    bodies = [f"hello {n} {secrets.token_hex(3)}" for n in (1, 2, 3)]
    event_ids = []
    for body in bodies:
        response = await alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body})
        event_ids.append(expect(response, RoomSendResponse, f"send {body!r}").event_id)

    received = []

    def all_received(response):
        received.extend(
            (event.event_id, event.body)
            for event in timeline(response, room_id)
            if isinstance(event, RoomMessageText) and event.sender == alice.user_id
        )
        return len(received) >= len(bodies)

    await wait_for(bob, all_received, "alice's 3 messages", seen=received)
    if received != list(zip(event_ids, bodies)):
        raise StepFailed(f"messages out of order or wrong: sent {list(zip(event_ids, bodies))}, received {received}")
    return bodies, event_ids


async def step_typing(alice, bob, room_id):
    """Step 4: bob sees alice start typing, then stop."""
    typing_lists = []

    def typing_update(want_alice):
        def condition(response):
            for event in ephemeral(response, room_id):
                if isinstance(event, TypingNoticeEvent):
                    typing_lists.append(event.users)
                    if (alice.user_id in event.users) == want_alice:
                        return True
            return False

        return condition

    expect(await alice.room_typing(room_id, True, timeout=30000), RoomTypingResponse, "start typing")
    await wait_for(bob, typing_update(True), "a typing notice listing alice", seen=typing_lists)
    expect(await alice.room_typing(room_id, False), RoomTypingResponse, "stop typing")
    await wait_for(bob, typing_update(False), "a typing notice without alice", seen=typing_lists)
    return f"typing lists seen by bob: {typing_lists}"


async def step_receipt(alice, bob, room_id, event_id):
    """Step 5: bob marks `event_id` read; alice sees his m.read receipt."""
    expect(
        await bob.room_read_markers(room_id, fully_read_event=event_id, read_event=event_id),
        RoomReadMarkersResponse,
        "bob sets read markers",
    )
    receipts = []

    def bob_read_it(response):
        for event in ephemeral(response, room_id):
            if isinstance(event, ReceiptEvent):
                receipts.extend(event.receipts)
        return any(
            r.user_id == bob.user_id and r.event_id == event_id and r.receipt_type == "m.read"
            for r in receipts
        )

    await wait_for(alice, bob_read_it, f"bob's m.read receipt for {event_id}", seen=receipts)


async def step_pagination(bob, room_id, alice_id, bodies):
    """Step 6: bob pages back from his sync position to the room's creation."""
    token = bob.next_batch
    events = []
    for _ in range(MAX_PAGES):
        response = expect(
            await bob.room_messages(room_id, start=token, direction=MessageDirection.back, limit=PAGE_LIMIT),
            RoomMessagesResponse,
            f"/messages from {token}",
        )
        if len(response.chunk) > PAGE_LIMIT:
            raise StepFailed(f"asked for {PAGE_LIMIT} events, got {len(response.chunk)}")
        events.extend(response.chunk)
        if not response.chunk or response.end is None:
            break
        if response.end == token:
            raise StepFailed(f"end token did not move from {token} on a non-empty page")
        token = response.end
    else:
        raise StepFailed(f"history did not end after {MAX_PAGES} pages; events: {events}")

    seen = [type(event).__name__ for event in events]
    paged_bodies = [
        event.body for event in events if isinstance(event, RoomMessageText) and event.sender == alice_id
    ]
    if paged_bodies != bodies[::-1]:
        raise StepFailed(f"expected bodies {bodies[::-1]} newest first, got {paged_bodies}; events: {seen}")
    if not events or not isinstance(events[-1], RoomCreateEvent):
        raise StepFailed(f"the oldest event paged back to is not m.room.create; events: {seen}")
    return f"{len(events)} events"


async def step_encrypted_room(alice, bob):
    """Step 7: alice creates a megolm-encrypted room and bob joins it."""
    encryption = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}
    response = await alice.room_create(name="secret", initial_state=[encryption])
    room_id = expect(response, RoomCreateResponse, "create encrypted room").room_id
    await invite_and_join(alice, bob, room_id)
    if not alice.rooms[room_id].encrypted:
        raise StepFailed(f"alice's client does not consider {room_id} encrypted after syncing")
    return room_id


async def wait_for_decrypted(client, room_id, event_id, what):
    """Sync until `event_id` arrives and is decrypted by `client`; return it.

    If it arrives as an undecryptable MegolmEvent, keep syncing for up to
    DECRYPT_GRACE_SECONDS in case the room key comes in a later to-device
    batch, retrying the decryption after each sync.
    """
    undecrypted = None
    first_seen = 0.0
    last_error = ""
    to_device = []

    def decrypted(response):
        nonlocal undecrypted, first_seen, last_error
        to_device.extend(type(event).__name__ for event in response.to_device_events)
        for event in timeline(response, room_id):
            if event.event_id == event_id:
                if not isinstance(event, MegolmEvent):
                    return event
                undecrypted, first_seen = event, time.monotonic()
        if undecrypted is None:
            return None
        try:
            return client.decrypt_event(undecrypted)
        except EncryptionError as error:
            last_error = str(error)
        if time.monotonic() - first_seen > DECRYPT_GRACE_SECONDS:
            raise StepFailed(
                f"{client.user_id} received {what} but could not decrypt it after "
                f"{DECRYPT_GRACE_SECONDS}s: {last_error}; to-device events seen: {to_device}"
            )
        return None

    return await wait_for(client, decrypted, f"{what} (seen = to-device events)", seen=to_device)


async def send_encrypted(sender, receiver, room_id):
    """`sender` sends an encrypted text; `receiver` must decrypt it."""
    body = f"secret from {sender.user_id} {secrets.token_hex(3)}"
    response = await sender.room_send(
        room_id, "m.room.message", {"msgtype": "m.text", "body": body}, ignore_unverified_devices=True
    )
    event_id = expect(response, RoomSendResponse, f"{sender.user_id} sends encrypted").event_id

    event = await wait_for_decrypted(receiver, room_id, event_id, f"encrypted event {event_id}")
    if not isinstance(event, RoomMessageText) or event.body != body:
        raise StepFailed(f"expected m.text {body!r}, decrypted {type(event).__name__}: {event.source}")
    if not event.decrypted:
        raise StepFailed(f"event {event_id} was not m.room.encrypted on the wire: {event.source}")
    if event.sender != sender.user_id:
        raise StepFailed(f"event {event_id} has sender {event.sender}, expected {sender.user_id}")
    return f"{event_id} decrypted"


async def run_step(number, title, coro):
    """Run one step, print its outcome line and return its result."""
    started = time.monotonic()
    try:
        result = await asyncio.wait_for(coro, STEP_SECONDS)
    except StepFailed as error:
        raise StepFailed(f"step {number} ({title}) failed: {error}") from None
    except asyncio.TimeoutError:
        raise StepFailed(f"step {number} ({title}) failed: did not finish in {STEP_SECONDS}s") from None
    except Exception as error:
        traceback.print_exc()
        raise StepFailed(f"step {number} ({title}) failed: {type(error).__name__}: {error}") from None
    detail = result if isinstance(result, str) else ""
    print(f"[{number:2}] ok  {title} ({time.monotonic() - started:.1f}s) {detail}".rstrip(), flush=True)
    return result


async def conversation(alice, bob):
    """Steps 1-9."""
    await run_step(1, "register alice and bob, upload keys, initial sync", step_register(alice, bob))
    room_id = await run_step(2, "plain room: create, invite, join", step_plain_room(alice, bob))
    bodies, event_ids = await run_step(3, "3 messages from alice reach bob in order", step_messages(alice, bob, room_id))
    await run_step(4, "typing start/stop seen by bob", step_typing(alice, bob, room_id))
    await run_step(5, "bob's read receipt seen by alice", step_receipt(alice, bob, room_id, event_ids[-1]))
    await run_step(6, "bob paginates history backwards", step_pagination(bob, room_id, alice.user_id, bodies))
    secret_room = await run_step(7, "encrypted room: create, invite, join", step_encrypted_room(alice, bob))
    await run_step(8, "alice -> bob encrypted message decrypts", send_encrypted(alice, bob, secret_room))
    await run_step(9, "bob -> alice encrypted reply decrypts", send_encrypted(bob, alice, secret_room))


async def main(base_url):
    """Run the conversation with two fresh clients; return the exit status."""
    config = AsyncClientConfig(
        store_sync_tokens=True,
        encryption_enabled=True,
        max_timeouts=2,  # nio retries connection errors forever by default
    )
    alice = AsyncClient(base_url, store_path=tempfile.mkdtemp(prefix="nio-alice-"), config=config)
    bob = AsyncClient(base_url, store_path=tempfile.mkdtemp(prefix="nio-bob-"), config=config)
    status = 0
    try:
        await conversation(alice, bob)
    except StepFailed as error:
        print(f"FAIL: {error}", flush=True)
        status = 1
    finally:
        for client in (alice, bob):
            await client.close()
            shutil.rmtree(client.store_path, ignore_errors=True)
    if status == 0:
        print("[10] ok  clients closed; all steps passed", flush=True)
    return status


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} BASE_URL")
    sys.exit(asyncio.run(main(sys.argv[1])))
