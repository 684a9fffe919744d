/**
 * A Jinja interpreter built for chat templates: {@link io.steer4j.core.chat.template.JinjaTemplate} renders a
 * Hugging Face chat template character for character as transformers' sandboxed jinja2 does, with no loader, no
 * host objects and bounded time and memory ({@link io.steer4j.core.chat.template.TemplateLimits}). It needs no
 * native code, so it lives in steering-core; {@code io.steer4j.djl.chat.ChatTemplate} reads templates from model
 * folders and renders conversations with it.
 */
package io.steer4j.core.chat.template;
