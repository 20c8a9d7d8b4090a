# The ACD application (API now; SIP call control joins in later versions).
# Runs the TypeScript sources through tsx exactly as `npm start` does.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
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
CMD ["npm", "start"]
