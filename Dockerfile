# The ACD application.
# Runs the TypeScript sources through tsx, as `npm start` does.
FROM node:20.20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# glibc's malloc gives each thread that allocates an arena of its own (up to
# 8 per core) and returns little of it; the app's threads (SIP server,
# database, V8's compilers) kept about 120 MB more that way. `npm start`
# sets the same (docs/configuration.md, "Memory").
ENV MALLOC_ARENA_MAX=2
COPY package.json package-lock.json ./
# tsx is a devDependency and is needed at run time (no build step).
RUN npm ci --include=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY config ./config
COPY sql ./sql
COPY src ./src
# Embedded mode (no DATABASE_URL) keeps PGlite and the generated token here.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME /app/data
USER node
EXPOSE 8080 5060/udp 5060/tcp
# What `npm start` runs, without npm and a shell in between, so SIGTERM from
# `docker stop` reaches the app and it shuts down gracefully.
CMD ["node", "--import", "tsx", "src/app/main.ts"]
