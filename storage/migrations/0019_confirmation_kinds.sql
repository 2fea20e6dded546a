-- How each confirmation of a notice was made (issue 16): the «Got it» button, a "收到"
-- reply, or a 👍 reaction. Only a confirmation made by the reaction alone is taken back
-- when the 👍 is removed; a press or a reply stays. Confirmations stored before this
-- version count as made with the button (the way that is never withdrawn).
ALTER TABLE notice_confirmations
    ADD COLUMN confirmed_by TEXT NOT NULL DEFAULT 'button'
    CHECK (confirmed_by IN ('button', 'reply', 'reaction'));
