//! The data plane's vocabulary: which API a request calls ([`Route`]) and which family of
//! wire formats it speaks ([`Dialect`]). Below every module that uses them.

use codexkey_common::usage::WireFormat;

/// Which wire format a route speaks, and so its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    OpenAi,
    Anthropic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    ChatCompletions,
    Responses,
    Embeddings,
    Images,
    Models,
    Messages,
    CountTokens,
}

impl Route {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ChatCompletions => "chat.completions",
            Self::Responses => "responses",
            Self::Embeddings => "embeddings",
            Self::Images => "images.generations",
            Self::Models => "models",
            Self::Messages => "messages",
            Self::CountTokens => "messages.count_tokens",
        }
    }

    pub const ALL: [Route; 7] = [
        Self::ChatCompletions,
        Self::Responses,
        Self::Embeddings,
        Self::Images,
        Self::Models,
        Self::Messages,
        Self::CountTokens,
    ];

    /// This route's place in [`Route::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    pub fn parse(s: &str) -> Option<Route> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The path upstream, as the official APIs name it.
    pub const fn path(self) -> &'static str {
        match self {
            Self::ChatCompletions => "/v1/chat/completions",
            Self::Responses => "/v1/responses",
            Self::Embeddings => "/v1/embeddings",
            Self::Images => "/v1/images/generations",
            Self::Models => "/v1/models",
            Self::Messages => "/v1/messages",
            Self::CountTokens => "/v1/messages/count_tokens",
        }
    }

    /// Whether this route's responses may stream.
    pub const fn streams(self) -> bool {
        matches!(
            self,
            Self::ChatCompletions | Self::Responses | Self::Messages
        )
    }

    pub const fn dialect(self) -> Dialect {
        match self {
            Self::Messages | Self::CountTokens => Dialect::Anthropic,
            _ => Dialect::OpenAi,
        }
    }

    /// How usage is read from this route's responses.
    pub const fn wire(self) -> WireFormat {
        match self {
            Self::ChatCompletions | Self::Models => WireFormat::OpenAiChat,
            Self::Responses => WireFormat::OpenAiResponses,
            Self::Embeddings => WireFormat::OpenAiEmbeddings,
            Self::Images => WireFormat::OpenAiImages,
            Self::Messages | Self::CountTokens => WireFormat::AnthropicMessages,
        }
    }
}
