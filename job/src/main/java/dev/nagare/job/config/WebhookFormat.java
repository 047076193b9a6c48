package dev.nagare.job.config;

/** The body of a webhook request ({@code alerts.webhook.format}). */
public enum WebhookFormat {
    /** Slack-compatible: {@code text} plus {@code blocks}; Mattermost and Teams workflows accept it too. */
    SLACK,
    /** The alert itself as a JSON object. */
    JSON
}
