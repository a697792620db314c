"""Conversational channels: residents report by WhatsApp and by SMS."""
